-- Reading the event log (0016): one row per task and event, and one task's history.

-- task_events: the event log with one row per task and event (a row of `events` holds a whole
-- batch), plus the worker events. Array-valued keys of a batch's detail are per task: the
-- view gives each task its own element (e.g. retried: {"countdown": 3, "started_at": …}).
--
--   SELECT at, kind, name, task_id, worker, runtime FROM celeriac.task_events
--   WHERE at > now() - interval '1 minute' ORDER BY at;
CREATE OR REPLACE VIEW task_events AS
SELECT e.at, e.kind, e.worker, u.task_id, u.name, u.queue, u.attempt, u.runtime, u.error,
       (SELECT jsonb_object_agg(d.key, CASE WHEN jsonb_typeof(d.value) = 'array' THEN d.value -> (u.i::integer - 1)
                                            ELSE d.value END)
        FROM jsonb_each(e.detail) AS d) AS detail
FROM events AS e
CROSS JOIN LATERAL unnest(e.task_ids, e.names, e.queues, e.attempts, e.runtimes, e.errors)
    WITH ORDINALITY AS u(task_id, name, queue, attempt, runtime, error, i)
WHERE e.task_ids IS NOT NULL
UNION ALL
SELECT e.at, e.kind, e.worker, NULL, NULL, NULL, NULL, NULL, NULL, e.detail
FROM events AS e
WHERE e.task_ids IS NULL;

COMMENT ON VIEW task_events IS 'The event log (worker -E), one row per task and event, plus worker events.';

-- task_history(id): every event of one task, oldest first: each attempt's claim (received,
-- started), its outcome (retried, snoozed, failed, succeeded, revoked, rejected, lease-lost), its
-- worker, runtime and error. Found without an index per task: an event's time is the time its
-- statement also wrote into the task's rows (tasks.started_at, results and task_attempts
-- started_at/finished_at), and the events after which a task runs again are indexed with the
-- start of their attempt (0016).
--
--   SELECT * FROM celeriac.task_history('0191…');
CREATE OR REPLACE FUNCTION task_history(task_id uuid)
RETURNS TABLE (at timestamptz, kind text, name text, queue text, worker text, attempt integer,
               runtime double precision, error jsonb, detail jsonb)
LANGUAGE sql STABLE
SECURITY DEFINER
BEGIN ATOMIC
    WITH requeued AS (
        SELECT e.at, (e.detail -> 'started_at' ->> (u.i::integer - 1))::timestamptz AS started_at
        FROM events AS e
        CROSS JOIN LATERAL unnest(e.task_ids) WITH ORDINALITY AS u(id, i)
        WHERE e.kind IN ('retried', 'snoozed', 'lease-lost', 'rejected') AND e.task_ids @> ARRAY[task_history.task_id]
          AND u.id = task_history.task_id
    ),
    instants (at) AS (
        SELECT r.at FROM requeued AS r
        UNION SELECT r.started_at FROM requeued AS r
        UNION SELECT unnest(ARRAY[s.started_at, s.finished_at]) FROM results AS s WHERE s.id = task_history.task_id
        UNION SELECT unnest(ARRAY[a.started_at, a.finished_at]) FROM task_attempts AS a
              WHERE a.id = task_history.task_id
        UNION SELECT t.started_at FROM tasks AS t WHERE t.id = task_history.task_id
    )
    SELECT v.at, v.kind, v.name, v.queue, v.worker, v.attempt, v.runtime, v.error, v.detail
    FROM instants AS i
    CROSS JOIN LATERAL (
        SELECT e.at, e.kind, u.name, u.queue, e.worker, u.attempt, u.runtime, u.error,
               (SELECT jsonb_object_agg(d.key, CASE WHEN jsonb_typeof(d.value) = 'array'
                                                    THEN d.value -> (u.i::integer - 1) ELSE d.value END)
                FROM jsonb_each(e.detail) AS d) AS detail
        FROM events AS e
        CROSS JOIN LATERAL unnest(e.task_ids, e.names, e.queues, e.attempts, e.runtimes, e.errors)
            WITH ORDINALITY AS u(id, name, queue, attempt, runtime, error, i)
        WHERE e.at = i.at AND e.task_ids IS NOT NULL AND u.id = task_history.task_id
    ) AS v
    WHERE i.at IS NOT NULL
    ORDER BY v.at, CASE v.kind WHEN 'received' THEN 0 WHEN 'started' THEN 1 ELSE 2 END;
END;
