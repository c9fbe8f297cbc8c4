-- Statements on `periodic_tasks`: the beat schedule (migrations/0002_beat.sql).

-- name: load_enabled
-- Every enabled schedule, with the database's clock, for one beat pass.
-- column name: text
-- column task: text
-- column cron: text?
-- column interval_seconds: float8?
-- column time_zone: text
-- column misfire_policy: text
-- column last_run_at: float8?
-- column created_at: float8
-- column last_error: text?
-- column now: float8
-- column next_run_at: float8?
SELECT name, task, cron, interval_seconds, time_zone, misfire_policy,
       extract(epoch FROM last_run_at)::float8 AS last_run_at, extract(epoch FROM created_at)::float8 AS created_at,
       last_error, extract(epoch FROM now())::float8 AS now, extract(epoch FROM next_run_at)::float8 AS next_run_at
FROM celeriac.periodic_tasks WHERE enabled

-- name: record_error
-- Why beat cannot use a schedule (shown by `celeriac schedule list`).
-- param name: text
-- param error: text
UPDATE celeriac.periodic_tasks SET last_error = $2 WHERE name = $1

-- name: record_next_run
-- The next tick beat computed for a schedule with nothing due.
-- param name: text
-- param next_run: float8
UPDATE celeriac.periodic_tasks SET next_run_at = to_timestamp($2::float8) WHERE name = $1

-- name: sync_from_code
-- Write one schedule defined in code (source 'code'). A row edited with SQL or the CLI since
-- is kept as it is unless `overwrite`; an unchanged row is not written.
-- param name: text
-- param task: text
-- param args: json
-- param kwargs: json
-- param queue: text?
-- param priority: int?
-- param cron: text?
-- param interval_seconds: float8?
-- param time_zone: text
-- param enabled: bool
-- param misfire_policy: text
-- param overwrite: bool
INSERT INTO celeriac.periodic_tasks AS p
    (name, task, args, kwargs, queue, priority, cron, interval_seconds, time_zone, enabled, misfire_policy, source)
VALUES ($1, $2, $3::jsonb, $4::jsonb, $5, $6, $7, $8, $9, $10, $11, 'code')
ON CONFLICT (name) DO UPDATE SET
    task = EXCLUDED.task, args = EXCLUDED.args, kwargs = EXCLUDED.kwargs, queue = EXCLUDED.queue,
    priority = EXCLUDED.priority, cron = EXCLUDED.cron, interval_seconds = EXCLUDED.interval_seconds,
    time_zone = EXCLUDED.time_zone, enabled = EXCLUDED.enabled,
    misfire_policy = EXCLUDED.misfire_policy, source = 'code', last_error = NULL
WHERE (p.source = 'code' OR $12::boolean)
  AND (p.task, p.args, p.kwargs, p.queue, p.priority, p.cron, p.interval_seconds, p.time_zone,
       p.enabled, p.misfire_policy, p.source)
      IS DISTINCT FROM
      (EXCLUDED.task, EXCLUDED.args, EXCLUDED.kwargs, EXCLUDED.queue, EXCLUDED.priority, EXCLUDED.cron,
       EXCLUDED.interval_seconds, EXCLUDED.time_zone, EXCLUDED.enabled, EXCLUDED.misfire_policy, 'code')

-- name: mark_sync
-- Inside the sync's transaction: edits made now are the code's, so the trigger leaves their
-- source alone (repeatable/beat.sql).
SELECT set_config('celeriac.sync', 'on', true)

-- name: add
-- Add a schedule from the CLI; fails with 23505 if the name exists.
-- param name: text
-- param task: text
-- param args: json
-- param kwargs: json
-- param queue: text?
-- param priority: int?
-- param cron: text?
-- param interval_seconds: float8?
-- param time_zone: text
-- param enabled: bool
-- param misfire_policy: text
INSERT INTO celeriac.periodic_tasks
    (name, task, args, kwargs, queue, priority, cron, interval_seconds, time_zone, enabled, misfire_policy, source)
VALUES ($1, $2, $3::jsonb, $4::jsonb, $5, $6, $7, $8, $9, $10, $11, 'cli')

-- name: remove
-- Delete a schedule (and, by cascade, its ticks).
-- param name: text
-- column name: text
DELETE FROM celeriac.periodic_tasks WHERE name = $1 RETURNING name

-- name: set_enabled
-- Enable or disable a schedule.
-- param name: text
-- param enabled: bool
-- column name: text
UPDATE celeriac.periodic_tasks SET enabled = $2 WHERE name = $1 RETURNING name

-- name: list
-- Every schedule, by name, as `celeriac schedule list` shows it.
-- column name: text
-- column task: text
-- column schedule: text
-- column time_zone: text
-- column enabled: bool
-- column misfire_policy: text
-- column last_run_at: text?
-- column next_run_at: text?
-- column total_run_count: int
-- column source: text
-- column last_error: text?
SELECT name, task, coalesce(cron, 'every ' || interval_seconds || 's') AS schedule, time_zone, enabled,
       misfire_policy,
       to_char(last_run_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS"Z"') AS last_run_at,
       to_char(next_run_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS"Z"') AS next_run_at,
       total_run_count, source, last_error
FROM celeriac.periodic_tasks ORDER BY name

-- name: get
-- One schedule's task call, for `celeriac schedule run-now`.
-- param name: text
-- column task: text
-- column args: json
-- column kwargs: json
-- column queue: text?
-- column priority: int?
SELECT task, args::text AS args, kwargs::text AS kwargs, queue, priority
FROM celeriac.periodic_tasks WHERE name = $1
