-- Chain steps: the rest of a chain travels in its first task's `chain` column, an array of
-- steps {id, task, args, kwargs, queue, priority, options, immutable} (Swift: ChainStepRecord).
--
-- Both functions have SQL-standard bodies (BEGIN ATOMIC): names are bound when they are
-- created, and the planner inlines them into the completion and rescue statements.

-- A chain step usable by the statements: a JSON object with a UUID `id`, a string `task` and,
-- if present, array `args`, object `kwargs` and `options`, a valid queue and priority, numbers
-- `countdown`, `eta` and `expires`, and a non-negative integer `max_retries`.
-- Malformed steps written by hand are skipped rather than failing a whole batch.
--
-- The id is 8-4-4-4-12 hex digits: 36 characters, dashes at those four places and nowhere
-- else, hex digits elsewhere. Said with a pattern of bounded repetitions it cost ~40,000
-- instructions per step, as below ~9,000 (callgrind).
CREATE OR REPLACE FUNCTION valid_chain_step(step jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE
BEGIN ATOMIC
    SELECT jsonb_typeof(step) = 'object'
       AND length(coalesce(step->>'id', '')) = 36
       AND step->>'id' LIKE '________-____-____-____-____________'
       AND length(replace(step->>'id', '-', '')) = 32 AND replace(step->>'id', '-', '') !~ '[^0-9a-fA-F]'
       AND jsonb_typeof(step->'task') = 'string' AND step->>'task' <> ''
       AND coalesce(jsonb_typeof(step->'args'), 'array') = 'array'
       AND coalesce(jsonb_typeof(step->'kwargs'), 'object') = 'object'
       AND coalesce(jsonb_typeof(step->'options'), 'object') = 'object'
       AND length(coalesce(step->>'queue', 'q')) BETWEEN 1 AND 100
       AND coalesce(step->>'queue', 'q') !~ '[^A-Za-z0-9_.:@-]'
       AND coalesce(step->>'priority', '0') ~ '^[0-9]{1,3}$' AND coalesce((step->>'priority')::int, 0) <= 255
       AND coalesce(jsonb_typeof(step->'countdown'), 'number') = 'number'
       AND coalesce(jsonb_typeof(step->'eta'), 'number') = 'number'
       AND coalesce(jsonb_typeof(step->'expires'), 'number') = 'number'
       AND coalesce(step->>'max_retries', '0') ~ '^[0-9]{1,9}$';
END;

-- Group steps and the options that say what happens after a task (0027; chords.sql).

-- Whether `value` is a UUID in its text form: a cast of anything else would fail the batch.
CREATE OR REPLACE FUNCTION is_uuid(value text) RETURNS boolean
LANGUAGE sql IMMUTABLE
RETURN length(coalesce(value, '')) = 36
   AND value LIKE '________-____-____-____-____________'
   AND replace(value, '-', '') !~ '[^0-9a-fA-F]' AND length(replace(value, '-', '')) = 32;

-- The group a task was sent in (option `group_id`), if it is a valid id.
CREATE OR REPLACE FUNCTION option_group(options jsonb) RETURNS uuid
LANGUAGE sql IMMUTABLE
RETURN CASE WHEN options ? 'group_id' AND is_uuid(options ->> 'group_id') THEN (options ->> 'group_id')::uuid END;

-- The callbacks a task was sent with (options `link`, `link_error`: arrays of chain steps),
-- as the results row keeps them; NULL for almost every task.
CREATE OR REPLACE FUNCTION option_callbacks(options jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE
RETURN CASE WHEN options ?| ARRAY['link', 'link_error']
            THEN jsonb_strip_nulls(jsonb_build_object(
                     'link', CASE WHEN jsonb_typeof(options -> 'link') = 'array' THEN options -> 'link' END,
                     'link_error', CASE WHEN jsonb_typeof(options -> 'link_error') = 'array' THEN options -> 'link_error' END))
       END;

-- Whether a task keeps its results row even with ignore_result: a group's member (its chord
-- counts it) or a task with callbacks (the trigger sends them from it).
CREATE OR REPLACE FUNCTION option_keeps_result(options jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE
RETURN options ?| ARRAY['group_id', 'link', 'link_error'];

-- A group step usable by the statements (see the top of this file).
CREATE OR REPLACE FUNCTION valid_group_step(step jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE
RETURN jsonb_typeof(step) = 'object' AND jsonb_typeof(step -> 'group') = 'array'
   AND is_uuid(step ->> 'id') AND jsonb_typeof(step -> 'task_ids') = 'array'
   AND coalesce(jsonb_typeof(step -> 'allowed_failures'), 'number') = 'number'
   AND coalesce(step ->> 'allowed_failures', '0') ~ '^[0-9]{1,9}$'
   AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(step -> 'task_ids') AS i
                   WHERE jsonb_typeof(i) <> 'string' OR NOT is_uuid(i #>> '{}'))
   AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(step -> 'group') AS m WHERE jsonb_typeof(m) <> 'array');

-- Every task step of a chain, group steps opened (recursively), in order of appearance.
CREATE OR REPLACE FUNCTION canvas_task_steps(chain jsonb) RETURNS SETOF jsonb
LANGUAGE sql IMMUTABLE
BEGIN ATOMIC
    WITH RECURSIVE walk (step, path) AS (
        SELECT s.step, ARRAY[s.n]
        FROM jsonb_array_elements(CASE WHEN jsonb_typeof(chain) = 'array' THEN chain ELSE '[]' END)
            WITH ORDINALITY AS s(step, n)
        UNION ALL
        SELECT m.step, w.path || ARRAY[g.n, m.n]
        FROM walk AS w
        CROSS JOIN LATERAL jsonb_array_elements(w.step -> 'group') WITH ORDINALITY AS g(member, n)
        CROSS JOIN LATERAL jsonb_array_elements(g.member) WITH ORDINALITY AS m(step, n)
        WHERE jsonb_typeof(w.step -> 'group') = 'array' AND jsonb_typeof(g.member) = 'array'
    )
    SELECT step FROM walk WHERE jsonb_typeof(step -> 'group') IS DISTINCT FROM 'array' ORDER BY path;
END;

-- The remaining steps of a chain whose task `failed_id` did not succeed, as failed results
-- (ChainAborted, naming the step that failed and its error), so waiting on a chain's last
-- result never hangs. The members of a group step (repeatable/chords.sql) are among them, with
-- their group and callbacks (the trigger on results counts them and sends their link_error).
-- (Its result type grew in 0027: it is dropped and made again.)
DROP FUNCTION IF EXISTS aborted_chain_steps(uuid, text, text, uuid, jsonb, jsonb);
CREATE FUNCTION aborted_chain_steps(
    failed_id uuid, failed_name text, failed_queue text, failed_root uuid, chain jsonb, failure jsonb
) RETURNS TABLE (id uuid, name text, queue text, args jsonb, kwargs jsonb, error jsonb, parent_id uuid, root_id uuid,
                 group_id uuid, callbacks jsonb)
LANGUAGE sql IMMUTABLE
BEGIN ATOMIC
    -- Task steps read directly, and only group steps opened by canvas_task_steps (a recursive
    -- query): so the function still folds into the statements that call it for every row
    -- (purge() of a million tasks), and a row without a chain costs nothing.
    SELECT (step->>'id')::uuid, step->>'task', coalesce(step->>'queue', failed_queue),
           coalesce(step->'args', '[]'), coalesce(step->'kwargs', '{}'),
           jsonb_build_object('type', 'ChainAborted',
                              'message', format('an earlier step of the chain, %s[%s], did not succeed: %s',
                                                failed_name, failed_id, failure->>'message')),
           failed_id, coalesce(failed_root, failed_id),
           option_group(step->'options'), option_callbacks(step->'options')
    FROM (
        SELECT s.step FROM jsonb_array_elements(CASE WHEN jsonb_typeof(chain) = 'array' THEN chain ELSE '[]' END) AS s(step)
        WHERE jsonb_typeof(s.step -> 'group') IS DISTINCT FROM 'array'
        UNION ALL
        SELECT inner_step.step
        FROM jsonb_array_elements(CASE WHEN jsonb_typeof(chain) = 'array' THEN chain ELSE '[]' END) AS g(step)
        CROSS JOIN LATERAL canvas_task_steps(jsonb_build_array(g.step)) AS inner_step(step)
        WHERE jsonb_typeof(g.step -> 'group') = 'array'
    ) AS all_steps (step)
    WHERE valid_chain_step(step);
END;
