-- Monitoring views: what `celeriac queues`, the dashboard and SQL users read. None counts
-- history: depths come from the queue table (unfinished work only), rates and percentiles from
-- the per-minute counters of task_stats (0017), worker totals from their registry rows.
-- The monitor role (roles.sql) may read these and nothing else.

-- queues: one row per queue that has waiting or running tasks, recent outcomes, a live worker
-- or a pause. Depth by state; the oldest due task's wait; outcomes per window.
--
--   SELECT queue, waiting, running, oldest_wait_seconds, processed_1m FROM celeriac.queues;
CREATE OR REPLACE VIEW queues AS
WITH depth AS (
    SELECT queue,
           count(*) FILTER (WHERE state = 'queued' AND run_at <= now()) AS waiting,
           count(*) FILTER (WHERE state = 'queued' AND run_at > now()) AS scheduled,
           count(*) FILTER (WHERE state = 'retry') AS retrying,
           count(*) FILTER (WHERE state = 'started') AS running,
           extract(epoch FROM now() - min(run_at) FILTER (WHERE state IN ('queued', 'retry') AND run_at <= now()))::float8
               AS oldest_wait_seconds
    FROM tasks
    GROUP BY queue
),
recent AS (
    SELECT queue,
           sum(count) FILTER (WHERE minute >= date_trunc('minute', now()) - interval '1 minute') AS processed_1m,
           sum(count) FILTER (WHERE minute >= date_trunc('minute', now()) - interval '5 minutes') AS processed_5m,
           sum(count) AS processed_15m,
           sum(count) FILTER (WHERE metric = 'failed') AS failed_15m
    FROM task_stats
    WHERE minute >= date_trunc('minute', now()) - interval '15 minutes' AND metric IN ('succeeded', 'failed')
    GROUP BY queue
),
consumed AS (
    SELECT DISTINCT unnest(queues) AS queue, 1 AS workers FROM workers
    WHERE stopped_at IS NULL AND last_heartbeat_at > now() - make_interval(secs => 2 * heartbeat_seconds)
),
names AS (
    SELECT queue FROM depth UNION SELECT queue FROM recent UNION SELECT queue FROM paused_queues
    UNION SELECT queue FROM consumed
)
SELECT n.queue,
       coalesce(d.waiting, 0) AS waiting, coalesce(d.scheduled, 0) AS scheduled, coalesce(d.retrying, 0) AS retrying,
       coalesce(d.running, 0) AS running, d.oldest_wait_seconds,
       p.queue IS NOT NULL AS paused,
       (SELECT count(*) FROM workers AS w
        WHERE n.queue = ANY (w.queues) AND w.stopped_at IS NULL
          AND w.last_heartbeat_at > now() - make_interval(secs => 2 * w.heartbeat_seconds)) AS workers,
       coalesce(r.processed_1m, 0) AS processed_1m, coalesce(r.processed_5m, 0) AS processed_5m,
       coalesce(r.processed_15m, 0) AS processed_15m, coalesce(r.failed_15m, 0) AS failed_15m
FROM names AS n
LEFT JOIN depth AS d ON d.queue = n.queue
LEFT JOIN recent AS r ON r.queue = n.queue
LEFT JOIN paused_queues AS p ON p.queue = n.queue;

COMMENT ON VIEW queues IS
    'Each queue: waiting/scheduled/retrying/running, oldest wait, paused, live workers, outcomes in the last 1/5/15 minutes.';

-- task_name_stats(since): per task name over the window `since` (e.g. '5 minutes'): outcomes,
-- failure rate, runtime percentiles of successes and wait percentiles of every attempt (from
-- the log-scale histograms of task_stats: within ±19%). plpgsql with custom plans, so the
-- window's bound reaches the planner and only its minutes are read.
CREATE OR REPLACE FUNCTION task_name_stats(since interval DEFAULT interval '15 minutes')
RETURNS TABLE (name text, succeeded bigint, failed bigint, retried bigint, revoked bigint, per_second double precision,
               failure_rate double precision, runtime_p50 double precision, runtime_p95 double precision,
               runtime_p99 double precision, wait_p50 double precision, wait_p95 double precision)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path FROM CURRENT
SET plan_cache_mode = force_custom_plan
AS $$
BEGIN
    RETURN QUERY
    WITH window_rows AS (
        SELECT s.name, s.metric, s.bucket, sum(s.count)::bigint AS count
        FROM task_stats AS s
        WHERE s.minute >= date_trunc('minute', now() - task_name_stats.since)
        GROUP BY s.name, s.metric, s.bucket
    )
    SELECT w.name,
           coalesce(sum(w.count) FILTER (WHERE w.metric = 'succeeded'), 0)::bigint,
           coalesce(sum(w.count) FILTER (WHERE w.metric = 'failed'), 0)::bigint,
           coalesce(sum(w.count) FILTER (WHERE w.metric = 'retried'), 0)::bigint,
           coalesce(sum(w.count) FILTER (WHERE w.metric = 'revoked'), 0)::bigint,
           coalesce(sum(w.count) FILTER (WHERE w.metric IN ('succeeded', 'failed')), 0)::float8
               / greatest(extract(epoch FROM task_name_stats.since), 1),
           CASE WHEN coalesce(sum(w.count) FILTER (WHERE w.metric IN ('succeeded', 'failed')), 0) > 0
                THEN (coalesce(sum(w.count) FILTER (WHERE w.metric = 'failed'), 0)
                      / sum(w.count) FILTER (WHERE w.metric IN ('succeeded', 'failed')))::float8 END,
           stats_percentile(stats_histogram(w.bucket, w.count) FILTER (WHERE w.metric = 'succeeded'), 0.50),
           stats_percentile(stats_histogram(w.bucket, w.count) FILTER (WHERE w.metric = 'succeeded'), 0.95),
           stats_percentile(stats_histogram(w.bucket, w.count) FILTER (WHERE w.metric = 'succeeded'), 0.99),
           stats_percentile(stats_histogram(w.bucket, w.count) FILTER (WHERE w.metric = 'wait'), 0.50),
           stats_percentile(stats_histogram(w.bucket, w.count) FILTER (WHERE w.metric = 'wait'), 0.95)
    FROM window_rows AS w
    GROUP BY w.name
    ORDER BY w.name;
END;
$$;

-- task_names: every task name seen in the last 15 minutes or registered by a worker, with
-- throughput over 1, 5 and 15 minutes, and over 15 minutes: outcomes, failure rate, runtime
-- p50/p95/p99 of successes and wait p50/p95. One pass over the last 15 minutes of task_stats.
--
--   SELECT name, per_second_1m, failure_rate, runtime_p95, wait_p95 FROM celeriac.task_names;
CREATE OR REPLACE VIEW task_names AS
WITH recent AS (
    SELECT s.name, s.metric, s.bucket, s.minute, s.count
    FROM task_stats AS s
    WHERE s.minute >= date_trunc('minute', now() - interval '15 minutes')
),
figures AS (
    SELECT r.name,
           coalesce(sum(r.count) FILTER (WHERE r.metric IN ('succeeded', 'failed')
                                           AND r.minute >= date_trunc('minute', now() - interval '1 minute')), 0)::float8
               / 60 AS per_second_1m,
           coalesce(sum(r.count) FILTER (WHERE r.metric IN ('succeeded', 'failed')
                                           AND r.minute >= date_trunc('minute', now() - interval '5 minutes')), 0)::float8
               / 300 AS per_second_5m,
           coalesce(sum(r.count) FILTER (WHERE r.metric IN ('succeeded', 'failed')), 0)::float8 / 900 AS per_second_15m,
           coalesce(sum(r.count) FILTER (WHERE r.metric = 'succeeded'), 0)::bigint AS succeeded_15m,
           coalesce(sum(r.count) FILTER (WHERE r.metric = 'failed'), 0)::bigint AS failed_15m,
           coalesce(sum(r.count) FILTER (WHERE r.metric = 'retried'), 0)::bigint AS retried_15m,
           coalesce(sum(r.count) FILTER (WHERE r.metric = 'revoked'), 0)::bigint AS revoked_15m,
           stats_histogram(r.bucket, r.count) FILTER (WHERE r.metric = 'succeeded') AS runtimes,
           stats_histogram(r.bucket, r.count) FILTER (WHERE r.metric = 'wait') AS waits
    FROM recent AS r
    GROUP BY r.name
),
names AS (
    SELECT y.name FROM task_types AS y UNION SELECT f.name FROM figures AS f
)
SELECT n.name,
       coalesce(f.per_second_1m, 0) AS per_second_1m, coalesce(f.per_second_5m, 0) AS per_second_5m,
       coalesce(f.per_second_15m, 0) AS per_second_15m,
       coalesce(f.succeeded_15m, 0) AS succeeded_15m, coalesce(f.failed_15m, 0) AS failed_15m,
       coalesce(f.retried_15m, 0) AS retried_15m, coalesce(f.revoked_15m, 0) AS revoked_15m,
       CASE WHEN f.succeeded_15m + f.failed_15m > 0
            THEN f.failed_15m::float8 / (f.succeeded_15m + f.failed_15m) END AS failure_rate,
       stats_percentile(f.runtimes, 0.50) AS runtime_p50, stats_percentile(f.runtimes, 0.95) AS runtime_p95,
       stats_percentile(f.runtimes, 0.99) AS runtime_p99,
       stats_percentile(f.waits, 0.50) AS wait_p50, stats_percentile(f.waits, 0.95) AS wait_p95
FROM names AS n
LEFT JOIN figures AS f ON f.name = n.name;

COMMENT ON VIEW task_names IS
    'Each task name: throughput over 1/5/15 minutes, failure rate, runtime p50/p95/p99 and wait p50/p95 (15 minutes).';

-- recent_failures: failed tasks of the last day, newest first through a partial index (0018).
--
--   SELECT finished_at, name, error_type, error_message FROM celeriac.recent_failures LIMIT 20;
CREATE OR REPLACE VIEW recent_failures AS
SELECT r.id, r.name, r.queue, r.worker, r.attempt, r.retries, r.finished_at, r.runtime, r.args, r.kwargs,
       r.error ->> 'type' AS error_type, r.error ->> 'message' AS error_message, r.error ->> 'traceback' AS traceback
FROM results AS r
WHERE r.state = 'failed' AND r.finished_at > now() - interval '1 day'
ORDER BY r.finished_at DESC;

COMMENT ON VIEW recent_failures IS 'Failed tasks of the last day, newest first, with their errors.';

-- worker_status: every worker registered in the last day. status: online (a heartbeat within
-- two intervals), stale (within ten), dead (silent longer without stopping: killed or cut
-- off, its tasks rescued when their leases lapse), offline (stopped).
--
--   SELECT name, status, active, processed, load, heartbeat_age_seconds FROM celeriac.worker_status;
CREATE OR REPLACE VIEW worker_status AS
SELECT w.id, w.name, w.hostname, w.pid,
       CASE WHEN w.stopped_at IS NOT NULL THEN 'offline'
            WHEN w.last_heartbeat_at > now() - make_interval(secs => 2 * w.heartbeat_seconds) THEN 'online'
            WHEN w.last_heartbeat_at > now() - make_interval(secs => 10 * w.heartbeat_seconds) THEN 'stale'
            ELSE 'dead' END AS status,
       a.active,
       w.succeeded + w.failed + w.retried + w.revoked AS processed,
       w.succeeded, w.failed, w.retried, w.revoked,
       round((a.active::numeric / greatest(w.concurrency, 1)), 3)::float8 AS load,
       w.concurrency, w.pool, w.queues, w.tasks AS registered, w.send_events, w.version,
       w.started_at, w.last_heartbeat_at, extract(epoch FROM now() - w.last_heartbeat_at)::float8 AS heartbeat_age_seconds,
       w.stopped_at
FROM workers AS w
CROSS JOIN LATERAL (SELECT count(*) AS active FROM tasks AS t WHERE t.owner = w.id AND t.state = 'started') AS a;

COMMENT ON VIEW worker_status IS
    'Each worker: online/stale/dead/offline, active tasks, totals, load, heartbeat age, queues, pool, registered tasks.';

-- schedules: the periodic tasks with when they run next and ran last, how late beat is, and
-- how their latest run ended.
--
--   SELECT name, next_run_at, late_by_seconds, last_state, last_error FROM celeriac.schedules;
CREATE OR REPLACE VIEW schedules AS
SELECT p.name, p.task, coalesce(p.cron, 'every ' || p.interval_seconds || 's') AS schedule, p.time_zone, p.enabled,
       p.queue, p.next_run_at, p.last_run_at, p.total_run_count,
       CASE WHEN p.enabled AND p.next_run_at < now() THEN extract(epoch FROM now() - p.next_run_at)::float8 ELSE 0 END
           AS late_by_seconds,
       last.task_id AS last_task_id,
       CASE WHEN last.task_id IS NULL THEN NULL
            WHEN r.state IS NOT NULL THEN r.state
            WHEN t.state IS NOT NULL THEN t.state
            ELSE 'unknown' END AS last_state,
       coalesce(p.last_error, r.error ->> 'message') AS last_error
FROM periodic_tasks AS p
LEFT JOIN LATERAL (
    SELECT k.task_id FROM periodic_ticks AS k WHERE k.schedule = p.name ORDER BY k.tick DESC LIMIT 1
) AS last ON true
LEFT JOIN results AS r ON r.id = last.task_id
LEFT JOIN tasks AS t ON t.id = last.task_id;

COMMENT ON VIEW schedules IS
    'Each periodic task: next and last run, late-by, run count, the state and error of its latest run.';

-- unfinished_tasks: the queue (waiting, scheduled, retrying and running tasks), without the
-- internal columns; `worker` is the worker running it, `chain` the steps to come after it.
--
--   SELECT id, name, state, worker, run_at FROM celeriac.unfinished_tasks WHERE state = 'started';
CREATE OR REPLACE VIEW unfinished_tasks AS
SELECT t.id, t.name, t.queue, t.priority, t.state, t.run_at > now() AS scheduled, t.args, t.kwargs, t.attempt, t.retries,
       t.max_retries, t.owner AS worker, t.run_at, t.expires_at, t.created_at, t.started_at, t.lease_expires_at,
       t.last_error, t.parent_id, t.root_id, t.chain
FROM tasks AS t;

COMMENT ON VIEW unfinished_tasks IS 'Tasks not finished yet: queued, retry (scheduled when run_at is later) or started.';

-- finished_tasks: the stored outcomes (kept for result_expires).
--
--   SELECT id, name, state, result, finished_at FROM celeriac.finished_tasks WHERE id = '01a2…';
CREATE OR REPLACE VIEW finished_tasks AS
SELECT r.id, r.name, r.queue, r.state, r.args, r.kwargs, r.result, r.error, r.attempt, r.retries, r.worker,
       r.created_at, r.started_at, r.finished_at, r.runtime, r.parent_id, r.root_id
FROM results AS r;

COMMENT ON VIEW finished_tasks IS 'Final outcomes: succeeded, failed or revoked, with result or error.';

-- registered_tasks: each task type with the options its workers registered (task_types).
CREATE OR REPLACE VIEW registered_tasks AS
SELECT y.name, y.acks_late, y.max_retries, y.reject_on_worker_lost, y.time_limit, y.soft_time_limit, y.ignore_result,
       y.queue, y.registered_by, y.registered_at
FROM task_types AS y;

COMMENT ON VIEW registered_tasks IS 'Task types and the options their workers registered.';

-- revoked_tasks: revocations of running tasks not settled yet (pending), and the tasks
-- revoked in the last day (from audit_log, every revoke() call), newest first.
CREATE OR REPLACE VIEW revoked_tasks AS
SELECT v.task_id, v.reason, v.terminate, v.revoked_by, v.revoked_at, true AS pending
FROM revocations AS v
UNION ALL
SELECT i.id::uuid, a.arguments ->> 'reason', coalesce((a.arguments ->> 'terminate')::boolean, false), a.actor, a.at,
       false
FROM audit_log AS a
CROSS JOIN LATERAL jsonb_array_elements_text(a.arguments -> 'ids') AS i(id)
WHERE a.action = 'revoke' AND a.at > now() - interval '1 day'
  AND EXISTS (SELECT 1 FROM results AS r WHERE r.id = i.id::uuid AND r.state = 'revoked')
  AND NOT EXISTS (SELECT 1 FROM revocations AS v WHERE v.task_id = i.id::uuid);

COMMENT ON VIEW revoked_tasks IS 'Revocations of running tasks still pending, and tasks revoked in the last day.';

-- throughput: finished tasks per minute and queue over the last day, from task_stats: what
-- the dashboard's charts draw.
--
--   SELECT minute, sum(succeeded) FROM celeriac.throughput GROUP BY minute ORDER BY minute;
CREATE OR REPLACE VIEW throughput AS
SELECT s.minute, s.queue,
       coalesce(sum(s.count) FILTER (WHERE s.metric = 'succeeded'), 0)::bigint AS succeeded,
       coalesce(sum(s.count) FILTER (WHERE s.metric = 'failed'), 0)::bigint AS failed,
       coalesce(sum(s.count) FILTER (WHERE s.metric = 'retried'), 0)::bigint AS retried,
       coalesce(sum(s.count) FILTER (WHERE s.metric = 'revoked'), 0)::bigint AS revoked
FROM task_stats AS s
WHERE s.minute >= date_trunc('minute', now() - interval '1 day') AND s.metric <> 'wait'
GROUP BY s.minute, s.queue;

COMMENT ON VIEW throughput IS 'Finished tasks per minute and queue over the last day.';
