-- Statements on `periodic_ticks`: every tick enqueued (migrations/0002_beat.sql).

-- name: enqueue_tick
-- Insert the tick, and the task only if the tick was new (the primary key (schedule, tick)
-- lets exactly one beat enqueue each tick); record the run. `default_queue` is used when the
-- schedule names no queue.
-- param schedule: text
-- param tick: float8
-- param task_id: uuid
-- param default_queue: text
-- param channel: text
-- param next_run: float8?
-- column enqueued: int
WITH tick AS (
    INSERT INTO celeriac.periodic_ticks (schedule, tick, task_id)
    VALUES ($1, to_timestamp($2::float8), $3)
    ON CONFLICT DO NOTHING
    RETURNING task_id
),
task_input (id, name, queue, priority, args, kwargs, options) AS (
    SELECT tick.task_id, p.task, coalesce(p.queue, $4), coalesce(p.priority, 0), p.args, p.kwargs,
           jsonb_build_object('periodic_task', p.name)
    FROM tick JOIN celeriac.periodic_tasks AS p ON p.name = $1
),
task AS (
    -- derive: tasks.insert_row
    INSERT INTO celeriac.tasks (id, name, queue, priority, args, kwargs, options)
    SELECT i.id, i.name, i.queue, i.priority, i.args, i.kwargs, i.options
    FROM task_input AS i
    -- end derive
    RETURNING queue
),
recorded AS (
    UPDATE celeriac.periodic_tasks
    SET last_run_at = greatest(coalesce(last_run_at, to_timestamp($2::float8)), to_timestamp($2::float8)),
        total_run_count = total_run_count + 1,
        next_run_at = to_timestamp($6::float8),
        last_error = NULL
    WHERE name = $1 AND EXISTS (SELECT 1 FROM tick)
)
SELECT (SELECT count(*) FROM tick)::int AS enqueued,
       (SELECT count(*) FROM (SELECT pg_notify($5, queue) FROM task) AS n) AS woken

-- name: prune
-- Forget ticks older than a week (a tick that old can no longer be computed again).
DELETE FROM celeriac.periodic_ticks WHERE enqueued_at < now() - interval '7 days'
