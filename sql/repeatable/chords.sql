-- Chords, callbacks and groups inside chains (migration 0027, Swift: Canvas/).
--
-- A chain's steps (the `chain` column, ChainStepRecord) are task steps or group steps. A group
-- step is {"id", "group": [member chains], "task_ids": [the final task of each member],
-- "allowed_failures"}; each member chain is an array of steps whose last task carries the
-- option `group_id`. The step after a group step is the group's body: with it, the group is a
-- chord. Every final outcome is a row of `results`, which carries the task's `group_id` and
-- its `callbacks` (options `link` and `link_error`); the trigger at the end of this file
-- counts chords down and sends callbacks, whichever statement wrote the row.

-- Sends one step: a task (its arguments after `previous` unless it is immutable or `previous`
-- is NULL; `rest` becomes its chain), or a group (each member chain's first step likewise,
-- and the group's row, a chord when `rest` has a step: that step is its body). Steps that are
-- not valid are skipped, as `complete` skips them.
CREATE OR REPLACE FUNCTION start_step(step jsonb, rest jsonb, previous jsonb, parent uuid, root uuid) RETURNS void
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
DECLARE
    member jsonb;
    target text;
    counted integer;
    made groups;
BEGIN
    IF jsonb_typeof(rest) IS DISTINCT FROM 'array' OR jsonb_array_length(rest) = 0 THEN
        rest := NULL;
    END IF;
    IF valid_group_step(step) THEN
        FOR member IN SELECT m FROM jsonb_array_elements(step -> 'group') AS m WHERE jsonb_array_length(m) > 0 LOOP
            PERFORM start_step(member -> 0, member - 0, previous, parent, root);
        END LOOP;
        counted := CASE WHEN rest IS NOT NULL THEN jsonb_array_length(step -> 'task_ids') END;
        INSERT INTO groups (id, task_ids, body, rest, remaining, allowed_failures, parent_id, root_id)
        VALUES ((step ->> 'id')::uuid, ARRAY(SELECT i::uuid FROM jsonb_array_elements_text(step -> 'task_ids') AS i),
                rest -> 0, rest - 0, counted, coalesce((step ->> 'allowed_failures')::int, 0), parent, root)
        ON CONFLICT (id) DO NOTHING
        RETURNING * INTO made;
        -- A chord of no members: its body goes at once, with no results.
        IF FOUND AND made.remaining = 0 THEN
            UPDATE groups SET fired_at = now() WHERE id = made.id;
            PERFORM fire_chord(made);
        END IF;
        RETURN;
    END IF;
    IF NOT valid_chain_step(step) THEN
        RETURN;
    END IF;
    target := coalesce(step ->> 'queue', task_queue(step ->> 'task'));
    WITH task_input (id, name, queue, priority, args, kwargs, options, chain, eta, countdown, expires_at, max_retries,
                     parent_id, root_id) AS (
        SELECT (step ->> 'id')::uuid, step ->> 'task', target, coalesce((step ->> 'priority')::smallint, 0),
               CASE WHEN previous IS NULL OR coalesce((step ->> 'immutable')::boolean, false)
                    THEN coalesce(step -> 'args', '[]')
                    ELSE jsonb_build_array(previous) || coalesce(step -> 'args', '[]') END,
               coalesce(step -> 'kwargs', '{}'), coalesce(step -> 'options', '{}'), rest,
               to_timestamp((step ->> 'eta')::float8), make_interval(secs => (step ->> 'countdown')::float8),
               to_timestamp((step ->> 'expires')::float8), (step ->> 'max_retries')::int, parent, root
    )
    -- derive: tasks.insert_row
    INSERT INTO tasks (id, name, queue, priority, args, kwargs, options, chain, run_at, expires_at, max_retries,
                       parent_id, root_id)
    SELECT i.id, i.name, i.queue, i.priority, i.args, i.kwargs, i.options, i.chain,
           coalesce(i.eta, now()) + coalesce(i.countdown, interval '0'), i.expires_at, i.max_retries, i.parent_id,
           i.root_id
    FROM task_input AS i
    -- end derive
    ON CONFLICT (id) DO NOTHING;
    PERFORM pg_notify(topic_channel('tasks'), target);
END;
$$;

-- A chord whose last member has its outcome: its body goes with the members' results, in
-- member order (those that failed left out, when allowed_failures lets it go at all). When more
-- members failed than allowed, or a member's result was pruned before the last finished, the
-- body fails with ChordError and the rest of its chain with ChainAborted.
CREATE OR REPLACE FUNCTION fire_chord(g groups) RETURNS void
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
DECLARE
    member_results jsonb := '[]';
    found_count    integer := 0;
    reason         text;
    body_id        uuid;
BEGIN
    IF g.failures > g.allowed_failures THEN
        reason := format('chord member %s[%s] %s: %s', g.first_failure ->> 'name', g.first_failure ->> 'id',
                         CASE WHEN g.first_failure ->> 'state' = 'revoked' THEN 'was revoked' ELSE 'failed' END,
                         concat_ws(': ', g.first_failure -> 'error' ->> 'type', g.first_failure -> 'error' ->> 'message'));
    ELSIF cardinality(g.task_ids) > 0 THEN
        SELECT coalesce(jsonb_agg(r.result ORDER BY m.i) FILTER (WHERE r.state = 'succeeded'), '[]'), count(r.id)
        INTO member_results, found_count
        FROM unnest(g.task_ids) WITH ORDINALITY AS m(id, i)
        LEFT JOIN (SELECT x.id, x.state, x.result FROM results AS x WHERE x.group_id = g.id) AS r ON r.id = m.id;
        IF found_count < cardinality(g.task_ids) THEN
            reason := format('the results of %s of the chord''s %s members were pruned (result_expires) before the last one finished',
                             cardinality(g.task_ids) - found_count, cardinality(g.task_ids));
        END IF;
    END IF;
    IF reason IS NULL THEN
        PERFORM start_step(g.body, g.rest, member_results, g.id, g.root_id);
        RETURN;
    END IF;
    body_id := CASE WHEN is_uuid(g.body ->> 'id') THEN (g.body ->> 'id')::uuid END;
    WITH body_tasks AS (
        SELECT s.step FROM canvas_task_steps(jsonb_build_array(g.body)) AS s(step) WHERE valid_chain_step(s.step)
    ),
    result_input (id, name, queue, state, args, kwargs, error, parent_id, root_id, group_id, callbacks) AS (
        SELECT (b.step ->> 'id')::uuid, b.step ->> 'task', coalesce(b.step ->> 'queue', task_queue(b.step ->> 'task')),
               'failed', coalesce(b.step -> 'args', '[]'), coalesce(b.step -> 'kwargs', '{}'),
               jsonb_build_object('type', 'ChordError', 'message', reason), g.id, g.root_id,
               option_group(b.step -> 'options'), option_callbacks(b.step -> 'options')
        FROM body_tasks AS b
        UNION ALL
        SELECT a.id, a.name, a.queue, 'failed', a.args, a.kwargs, a.error, a.parent_id, a.root_id, a.group_id,
               a.callbacks
        FROM aborted_chain_steps(body_id, coalesce(g.body ->> 'task', 'group'), coalesce(g.body ->> 'queue', 'celery'),
                                 g.root_id, g.rest, jsonb_build_object('type', 'ChordError', 'message', reason)) AS a
        WHERE body_id IS NOT NULL
    )
    -- derive: results.insert_row
    INSERT INTO results (id, name, queue, state, args, kwargs, error, parent_id, root_id, group_id, callbacks)
    SELECT r.id, r.name, r.queue, r.state, r.args, r.kwargs, r.error, r.parent_id, r.root_id, r.group_id, r.callbacks
    FROM result_input AS r
    -- end derive
    ON CONFLICT (id) DO NOTHING;
END;
$$;

-- After each statement that writes final outcomes: count chords down, under each group row's
-- lock (taken in id order, so two statements never wait on each other in a circle; the one
-- that brings `remaining` to zero sends the body), then send the callbacks: `link` steps get
-- the result, `link_error` steps the failed task's id. Almost every statement has neither and
-- costs one look at the rows it wrote.
CREATE OR REPLACE FUNCTION results_written() RETURNS trigger
LANGUAGE plpgsql
-- With its owner's rights: a worker role needs no right to update groups.
SECURITY DEFINER
SET search_path FROM CURRENT
AS $$
DECLARE
    part     record;
    callback record;
    g        groups;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM written AS w WHERE w.group_id IS NOT NULL OR w.callbacks IS NOT NULL) THEN
        RETURN NULL;
    END IF;
    FOR part IN
        SELECT w.group_id, count(*)::int AS n, count(*) FILTER (WHERE w.state <> 'succeeded')::int AS failed,
               (array_agg(jsonb_build_object('id', w.id, 'name', w.name, 'state', w.state, 'error', w.error)
                          ORDER BY w.id) FILTER (WHERE w.state <> 'succeeded'))[1] AS failure
        FROM written AS w WHERE w.group_id IS NOT NULL
        GROUP BY w.group_id ORDER BY w.group_id
    LOOP
        UPDATE groups AS x
        SET remaining = x.remaining - part.n, failures = x.failures + part.failed,
            first_failure = coalesce(x.first_failure, part.failure),
            fired_at = CASE WHEN x.remaining - part.n <= 0 THEN now() END
        WHERE x.id = part.group_id AND x.remaining > 0 AND x.fired_at IS NULL
        RETURNING x.* INTO g;
        IF FOUND AND g.remaining <= 0 THEN
            PERFORM fire_chord(g);
        END IF;
    END LOOP;
    FOR callback IN
        SELECT w.id, w.state, w.result, w.root_id, s.step
        FROM written AS w
        CROSS JOIN LATERAL jsonb_array_elements(
            CASE WHEN w.state = 'succeeded' THEN coalesce(w.callbacks -> 'link', '[]')
                 ELSE coalesce(w.callbacks -> 'link_error', '[]') END) AS s(step)
        WHERE w.callbacks IS NOT NULL
    LOOP
        PERFORM start_step(callback.step, NULL,
                           CASE WHEN callback.state = 'succeeded' THEN coalesce(callback.result, 'null')
                                ELSE to_jsonb(callback.id::text) END,
                           callback.id, coalesce(callback.root_id, callback.id));
    END LOOP;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE TRIGGER results_written AFTER INSERT ON results
REFERENCING NEW TABLE AS written
FOR EACH STATEMENT EXECUTE FUNCTION results_written();
