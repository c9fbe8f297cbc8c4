-- Statements on `events`: the durable event log (see migrations/0016_events.sql).

-- name: since
-- Events recorded at or after `since` (epoch seconds, database clock), oldest first, at most
-- `limit`, one row per task and event (task_events, repeatable/events.sql): what `celeriac
-- events` and the dashboard read when the events topic announces a batch. An event's time is
-- its statement's, which may commit a little after a later one: readers look back a few
-- seconds and drop the events they have already shown.
-- param since: float8
-- param limit: int
-- column at: float8
-- column kind: text
-- column task_id: uuid?
-- column name: text?
-- column queue: text?
-- column worker: text?
-- column attempt: int?
-- column runtime: float8?
-- column error: json?
-- column detail: json?
SELECT extract(epoch FROM at)::float8 AS at, kind, task_id, name, queue, worker, attempt, runtime,
       error::text AS error, detail::text AS detail
FROM celeriac.task_events
WHERE at >= to_timestamp($1::float8)
ORDER BY at, task_id, CASE kind WHEN 'received' THEN 0 WHEN 'started' THEN 1 ELSE 2 END
LIMIT $2

-- name: of_task
-- Every event of one task, oldest first (task_history, repeatable/events.sql).
-- param task_id: uuid
-- column at: float8
-- column kind: text
-- column name: text?
-- column queue: text?
-- column worker: text?
-- column attempt: int?
-- column runtime: float8?
-- column error: json?
-- column detail: json?
SELECT extract(epoch FROM h.at)::float8 AS at, h.kind, h.name, h.queue, h.worker, h.attempt, h.runtime, h.error::text AS error,
       h.detail::text AS detail
FROM celeriac.task_history($1) AS h

-- name: now
-- The database clock, in epoch seconds: where a live tail starts.
-- column now: float8
SELECT extract(epoch FROM now())::float8 AS now

-- name: prune
-- Delete up to `batch` events older than `expires_seconds` (kept as long as results) from the
-- default partition: events outside every partition's range (0022). The partitions go whole
-- (partitions.maintain).
-- param expires_seconds: float8
-- param batch: int
-- column pruned: int
WITH pruned AS (
    DELETE FROM celeriac.events_default WHERE ctid = ANY (ARRAY(
        SELECT ctid FROM celeriac.events_default
        WHERE at < now() - make_interval(secs => $1::float8)
        LIMIT $2
    ))
    RETURNING 1
)
SELECT count(*)::int AS pruned FROM pruned
