-- Statements on `task_stats`: the per-minute counters of outcomes (see migrations/0017_task_stats.sql).
-- They are written by tasks.complete; the monitoring views (repeatable/views.sql) read them.

-- name: prune
-- Forget counters older than a day: the views look back at most an hour, the dashboard's
-- chart a day.
DELETE FROM celeriac.task_stats WHERE minute < now() - interval '1 day'

-- name: add
-- Add a worker's counts since its last heartbeat: rows of (queue, name, metric, bucket,
-- count), to the current minute; and set its totals since it started. Workers gather them in
-- memory (TaskStatsTally) and write them once per heartbeat, so the hot path pays nothing for
-- them; a worker killed loses at most one heartbeat of counts, never a task.
-- param worker: text
-- param queues: text[]
-- param names: text[]
-- param metrics: text[]
-- param buckets: int[]
-- param counts: int[]
-- param succeeded: int
-- param failed: int
-- param retried: int
-- param revoked: int
WITH added AS (
    INSERT INTO celeriac.task_stats AS s (minute, queue, name, worker, metric, bucket, count)
    SELECT date_trunc('minute', now()), u.queue, u.name, $1, u.metric, u.bucket, u.count
    FROM unnest($2::text[], $3::text[], $4::text[], $5::int[], $6::int[]) AS u(queue, name, metric, bucket, count)
    ON CONFLICT (minute, queue, name, worker, metric, bucket) DO UPDATE SET count = s.count + EXCLUDED.count
)
UPDATE celeriac.workers SET succeeded = $7, failed = $8, retried = $9, revoked = $10 WHERE id = $1

-- name: recent
-- The counter rows of the minutes from `since` (epoch seconds) on: the dashboard's /metrics
-- adds what changed since its last scrape to its counters and histograms.
-- param since: float8
-- column minute: float8
-- column queue: text
-- column name: text
-- column worker: text
-- column metric: text
-- column bucket: int
-- column count: int
SELECT extract(epoch FROM s.minute)::float8 AS minute, s.queue, s.name, s.worker, s.metric, s.bucket::int, s.count::int
FROM celeriac.task_stats AS s
WHERE s.minute >= to_timestamp($1)
