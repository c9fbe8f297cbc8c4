-- Statements on `results`: final outcomes (succeeded, failed, revoked), kept for
-- result_expires (see migrations/0001_core.sql).

-- name: insert_row
-- kind: template
-- The one definition of "record a final outcome": completion, rescue and aborted chain steps
-- write results through blocks derived from this one, from their own
-- `result_input (fields) AS` relation. `group_id` and `callbacks` (0027) come from the task's
-- options (option_group, option_callbacks): the trigger on results reads them.
INSERT INTO celeriac.results (id, name, queue, state, args, kwargs, result, error, attempt, retries, worker,
                              parent_id, root_id, created_at, started_at, runtime, group_id, callbacks)
SELECT r.id, r.name, r.queue, r.state, r.args, r.kwargs, r.result, r.error, r.attempt, r.retries, r.worker,
       r.parent_id, r.root_id, r.created_at, r.started_at, r.runtime, r.group_id, r.callbacks
FROM result_input AS r

-- name: status
-- The state of one task: its final row in results, else its row in the queue (a queued task
-- due later reads as `scheduled`). No row: unknown, or a chain step not inserted yet.
-- `track_started` is the setting of the worker running it: whether `started` reads as
-- STARTED or PENDING is the writer's choice, whoever asks.
-- param id: uuid
-- column state: text
-- column result: json?
-- column error: json?
-- column name: text
-- column track_started: bool
SELECT state, result::text AS result, error::text AS error, name, false AS track_started
FROM celeriac.results WHERE id = $1
UNION ALL
SELECT CASE WHEN t.state = 'queued' AND t.run_at > now() THEN 'scheduled' ELSE t.state END,
       NULL, t.last_error::text, t.name, coalesce(w.track_started, false)
FROM celeriac.tasks AS t LEFT JOIN celeriac.workers AS w ON w.id = t.owner
WHERE t.id = $1
LIMIT 1

-- name: statuses
-- The states of many tasks in one statement, in the order given (a group's members), each as
-- `status` reads it; a task the database does not know reads as `pending`.
-- param ids: uuid[]
-- column id: uuid
-- column state: text
-- column result: json?
-- column error: json?
-- column track_started: bool
SELECT m.id, coalesce(s.state, 'pending') AS state, s.result, s.error, coalesce(s.track_started, false) AS track_started
FROM unnest($1::uuid[]) WITH ORDINALITY AS m(id, i)
LEFT JOIN LATERAL (
    SELECT r.state, r.result::text AS result, r.error::text AS error, false AS track_started
    FROM celeriac.results AS r WHERE r.id = m.id
    UNION ALL
    SELECT CASE WHEN t.state = 'queued' AND t.run_at > now() THEN 'scheduled' ELSE t.state END,
           NULL, t.last_error::text, coalesce(w.track_started, false)
    FROM celeriac.tasks AS t LEFT JOIN celeriac.workers AS w ON w.id = t.owner
    WHERE t.id = m.id
    LIMIT 1
) AS s ON true
ORDER BY m.i

-- name: forget
-- Delete one stored result (Celery's AsyncResult.forget).
-- param id: uuid
DELETE FROM celeriac.results WHERE id = $1

-- name: summarize_new_ranges
-- The BRIN index on finished_at skips only block ranges it has summarized; new ones are
-- summarized here, when this role may (it must own the index), so a prune reads old ranges,
-- not the whole table (migration 0004): those of every BRIN index of `table`
-- (results_default, 0022).
-- param table: text
SELECT brin_summarize_new_values(i.indexrelid)
FROM pg_index AS i JOIN pg_class AS c ON c.oid = i.indexrelid JOIN pg_am AS am ON am.oid = c.relam
WHERE i.indrelid = to_regclass($1) AND am.amname = 'brin' AND pg_has_role(c.relowner, 'USAGE')

-- name: prune
-- Delete up to `batch` results older than `expires_seconds` from the default partition: the
-- results whose id falls in no partition's range (0022). The partitions go whole
-- (partitions.maintain).
-- param expires_seconds: float8
-- param batch: int
-- column pruned: int
WITH pruned AS (
    DELETE FROM celeriac.results_default WHERE id IN (
        SELECT id FROM celeriac.results_default
        WHERE finished_at < now() - make_interval(secs => $1::float8)
        LIMIT $2
    )
    RETURNING id
)
SELECT count(*)::int AS pruned FROM pruned
