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

-- The remaining steps of a chain whose task `failed_id` did not succeed, as failed results
-- (ChainAborted, naming the step that failed and its error), so waiting on a chain's last
-- result never hangs.
CREATE OR REPLACE FUNCTION aborted_chain_steps(
    failed_id uuid, failed_name text, failed_queue text, failed_root uuid, chain jsonb, failure jsonb
) RETURNS TABLE (id uuid, name text, queue text, args jsonb, kwargs jsonb, error jsonb, parent_id uuid, root_id uuid)
LANGUAGE sql IMMUTABLE
BEGIN ATOMIC
    SELECT (step->>'id')::uuid, step->>'task', coalesce(step->>'queue', failed_queue),
           coalesce(step->'args', '[]'), coalesce(step->'kwargs', '{}'),
           jsonb_build_object('type', 'ChainAborted',
                              'message', format('an earlier step of the chain, %s[%s], did not succeed: %s',
                                                failed_name, failed_id, failure->>'message')),
           failed_id, coalesce(failed_root, failed_id)
    FROM jsonb_array_elements(CASE WHEN jsonb_typeof(chain) = 'array' THEN chain ELSE '[]' END) AS step
    WHERE valid_chain_step(step);
END;
