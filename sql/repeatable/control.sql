-- Control functions: what the CLI (and later the dashboard) call; anyone with SQL can too.
-- Repeatable files are applied in name order: functions here that call ones of later files
-- (topic_channel) are plpgsql, resolved when called.

-- revoke(ids, terminate, reason): Celery's revoke, made durable. Waiting tasks revoked are
-- recorded as a `revoked` event (0016). For each id, one row:
--   revoked           it was waiting (queued, scheduled or awaiting retry): it will never
--                     start, it ends REVOKED with `reason`, and so does the rest of its chain;
--   revoking          it is running: its worker is told on the control topic (and finds the
--                     revocation again at its next heartbeat) and stops it: cooperatively, or
--                     by killing its process in the prefork pool; it then ends REVOKED;
--   already finished  it has a final state: nothing changes;
--   unknown           no such task: nothing changes.
-- A revoke racing with a claim waits for the claim's row lock and then sees the task running:
-- a task is never both started and revoked.
CREATE OR REPLACE FUNCTION revoke(ids uuid[], terminate boolean DEFAULT false, reason text DEFAULT 'revoked')
RETURNS TABLE (task_id uuid, outcome text)
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
#variable_conflict use_column
DECLARE
    handled uuid[] := '{}';
BEGIN
    IF ids IS NULL OR cardinality(ids) = 0 THEN
        RAISE EXCEPTION 'celeriac.revoke: no task ids given' USING ERRCODE = '22023';
    END IF;

    RETURN QUERY SELECT r.id, 'already finished'::text FROM results AS r WHERE r.id = ANY (ids);
    handled := handled || ARRAY(SELECT r.id FROM results AS r WHERE r.id = ANY (ids));

    RETURN QUERY
    WITH gone AS (
        DELETE FROM tasks AS t
        WHERE t.id = ANY (ids) AND t.state IN ('queued', 'retry') AND NOT (t.id = ANY (handled))
        RETURNING t.id, t.name, t.queue, t.args, t.kwargs, t.chain, t.attempt, t.retries, t.parent_id, t.root_id,
                  t.created_at
    ),
    result_input (id, name, queue, state, args, kwargs, error, attempt, retries, parent_id, root_id, created_at) AS (
        SELECT g.id, g.name, g.queue, 'revoked', g.args, g.kwargs,
               jsonb_build_object('type', 'TaskRevokedError', 'message', reason), g.attempt, g.retries, g.parent_id,
               g.root_id, g.created_at
        FROM gone AS g
        UNION ALL
        SELECT a.id, a.name, a.queue, 'revoked', a.args, a.kwargs,
               jsonb_build_object('type', 'TaskRevokedError', 'message', reason), 0, 0, a.parent_id, a.root_id, now()
        FROM gone AS g
        CROSS JOIN LATERAL aborted_chain_steps(g.id, g.name, g.queue, g.root_id, g.chain, NULL) AS a
    ),
    stored AS (
        -- derive: results.insert_row
        INSERT INTO results (id, name, queue, state, args, kwargs, error, attempt, retries, parent_id, root_id,
                             created_at)
        SELECT r.id, r.name, r.queue, r.state, r.args, r.kwargs, r.error, r.attempt, r.retries, r.parent_id, r.root_id,
               r.created_at
        FROM result_input AS r
        -- end derive
        ON CONFLICT (id) DO NOTHING
    ),
    logged AS (
        INSERT INTO events (kind, task_ids, names, queues, attempts, errors, detail)
        SELECT 'revoked', array_agg(g.id), array_agg(g.name), array_agg(g.queue), array_agg(g.attempt),
               array_agg(jsonb_build_object('type', 'TaskRevokedError', 'message', reason)),
               jsonb_build_object('by', current_user::text)
        FROM gone AS g
        HAVING count(*) > 0
        RETURNING 1
    ),
    announced AS (
        SELECT pg_notify(topic_channel('events'), '') FROM logged
    )
    SELECT g.id, 'revoked'::text FROM gone AS g WHERE (SELECT count(*) FROM announced) >= 0;

    RETURN QUERY
    WITH running AS (
        SELECT t.id, t.owner FROM tasks AS t WHERE t.id = ANY (ids) AND t.state = 'started' FOR UPDATE
    ),
    recorded AS (
        INSERT INTO revocations AS v (task_id, reason, terminate)
        SELECT r.id, reason, terminate FROM running AS r
        ON CONFLICT (task_id) DO UPDATE SET reason = EXCLUDED.reason, terminate = v.terminate OR EXCLUDED.terminate
    ),
    told AS (
        SELECT pg_notify(topic_channel('control'),
                         r.owner || ' ' || jsonb_build_object('revoke', array_agg(r.id), 'terminate', terminate,
                                                               'reason', reason)::text)
        FROM running AS r GROUP BY r.owner
    )
    SELECT r.id, 'revoking'::text FROM running AS r WHERE (SELECT count(*) FROM told) >= 0;

    RETURN QUERY
    SELECT i, 'unknown'::text FROM unnest(ids) AS i
    WHERE NOT EXISTS (SELECT 1 FROM results AS r WHERE r.id = i)
      AND NOT EXISTS (SELECT 1 FROM tasks AS t WHERE t.id = i);
END;
$$;

-- retry(ids): run failed or revoked tasks again, with the same ids, from the queue. Their
-- final rows move to task_attempts (0014), so the history keeps them. For each id, one row:
--   retried      it was failed or revoked: it is queued again (its queue is woken);
--   not failed   it succeeded, or has not finished: nothing changes;
--   unknown      no such task: nothing changes.
-- The rest of a chain that the failure aborted is not re-created: retry its steps too.
CREATE OR REPLACE FUNCTION retry(ids uuid[])
RETURNS TABLE (task_id uuid, outcome text)
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
#variable_conflict use_column
DECLARE
    handled uuid[] := '{}';
    retried uuid;
BEGIN
    IF ids IS NULL OR cardinality(ids) = 0 THEN
        RAISE EXCEPTION 'celeriac.retry: no task ids given' USING ERRCODE = '22023';
    END IF;

    FOR retried IN
        WITH old AS (
            DELETE FROM results AS r WHERE r.id = ANY (ids) AND r.state IN ('failed', 'revoked') RETURNING r.*
        ),
        archived AS (
            INSERT INTO task_attempts SELECT o.*, now() FROM old AS o
        ),
        task_input (id, name, queue, args, kwargs, parent_id, root_id) AS (
            SELECT o.id, o.name, o.queue, o.args, o.kwargs, o.parent_id, o.root_id FROM old AS o
        ),
        requeued AS (
            -- derive: tasks.insert_row
            INSERT INTO tasks (id, name, queue, args, kwargs, parent_id, root_id)
            SELECT i.id, i.name, i.queue, i.args, i.kwargs, i.parent_id, i.root_id
            FROM task_input AS i
            -- end derive
            RETURNING id, queue
        ),
        woken AS (
            SELECT pg_notify(topic_channel('tasks'), q.queue) FROM (SELECT DISTINCT queue FROM requeued) AS q
        )
        SELECT r.id FROM requeued AS r WHERE (SELECT count(*) FROM woken) >= 0
    LOOP
        handled := handled || retried;
        task_id := retried;
        outcome := 'retried';
        RETURN NEXT;
    END LOOP;

    RETURN QUERY
    SELECT i, CASE WHEN EXISTS (SELECT 1 FROM results AS r WHERE r.id = i)
                     OR EXISTS (SELECT 1 FROM tasks AS t WHERE t.id = i) THEN 'not failed'
                   ELSE 'unknown' END
    FROM unnest(ids) AS i
    WHERE NOT (i = ANY (handled));
END;
$$;

-- pause_queue(queue): workers take nothing from `queue` from their next claim on; tasks keep
-- arriving and wait. Returns false if it was already paused.
CREATE OR REPLACE FUNCTION pause_queue(queue text) RETURNS boolean
LANGUAGE sql
SET search_path FROM CURRENT
AS $$
    WITH paused AS (
        INSERT INTO paused_queues (queue) VALUES (pause_queue.queue) ON CONFLICT DO NOTHING RETURNING 1
    )
    SELECT count(*) > 0 FROM paused
$$;

-- resume_queue(queue): workers take from `queue` again, and are woken at once. Returns false
-- if it was not paused.
CREATE OR REPLACE FUNCTION resume_queue(queue text) RETURNS boolean
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
BEGIN
    DELETE FROM paused_queues AS p WHERE p.queue = resume_queue.queue;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    PERFORM pg_notify(topic_channel('tasks'), resume_queue.queue);
    RETURN true;
END;
$$;
