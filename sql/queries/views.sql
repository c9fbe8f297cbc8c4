-- Statements on the monitoring views (repeatable/views.sql): what the CLI and the dashboard
-- read. The views are documented where they are defined.

-- name: queues
-- Every queue, by name.
-- column queue: text
-- column waiting: int
-- column scheduled: int
-- column retrying: int
-- column running: int
-- column oldest_wait_seconds: float8?
-- column paused: bool
-- column workers: int
-- column processed_1m: int
-- column processed_5m: int
-- column processed_15m: int
-- column failed_15m: int
SELECT queue, waiting::int, scheduled::int, retrying::int, running::int, oldest_wait_seconds, paused, workers::int,
       processed_1m::int, processed_5m::int, processed_15m::int, failed_15m::int
FROM celeriac.queues
ORDER BY queue

-- name: workers
-- Workers registered in the last day, live ones first.
-- column id: text
-- column name: text
-- column hostname: text
-- column pid: int
-- column status: text
-- column active: int
-- column processed: int
-- column succeeded: int
-- column failed: int
-- column retried: int
-- column revoked: int
-- column load: float8
-- column concurrency: int
-- column pool: text
-- column queues: text[]
-- column registered: text[]
-- column send_events: bool
-- column version: text
-- column started_at: float8
-- column heartbeat_age_seconds: float8
SELECT id, name, hostname, pid, status, active::int, processed::int, succeeded::int, failed::int, retried::int,
       revoked::int, load, concurrency, pool, queues, registered, send_events, version,
       extract(epoch FROM started_at)::float8 AS started_at, heartbeat_age_seconds
FROM celeriac.worker_status
ORDER BY CASE status WHEN 'online' THEN 0 WHEN 'stale' THEN 1 WHEN 'dead' THEN 2 ELSE 3 END, name, started_at DESC

-- name: task_names
-- Every task name seen in the last 15 minutes or registered.
-- column name: text
-- column per_second_1m: float8
-- column per_second_5m: float8
-- column per_second_15m: float8
-- column succeeded_15m: int
-- column failed_15m: int
-- column retried_15m: int
-- column revoked_15m: int
-- column failure_rate: float8?
-- column runtime_p50: float8?
-- column runtime_p95: float8?
-- column runtime_p99: float8?
-- column wait_p50: float8?
-- column wait_p95: float8?
SELECT name, per_second_1m, per_second_5m, per_second_15m, succeeded_15m::int, failed_15m::int, retried_15m::int,
       revoked_15m::int, failure_rate, runtime_p50, runtime_p95, runtime_p99, wait_p50, wait_p95
FROM celeriac.task_names
ORDER BY name

-- name: inspect
-- The unfinished tasks in one state, for `celeriac inspect`: `started` (active, with their
-- worker), due later (scheduled), or due now (reserved: waiting for a worker). At most `limit`
-- rows, oldest first.
-- param kind: text
-- param limit: int
-- column id: uuid
-- column name: text
-- column queue: text
-- column state: text
-- column worker: text?
-- column args: json
-- column attempt: int
-- column run_at: float8
SELECT id, name, queue, state, worker, args::text AS args, attempt, extract(epoch FROM run_at)::float8 AS run_at
FROM celeriac.unfinished_tasks
WHERE CASE $1
          WHEN 'active' THEN state = 'started'
          WHEN 'scheduled' THEN state IN ('queued', 'retry') AND scheduled
          WHEN 'reserved' THEN state IN ('queued', 'retry') AND NOT scheduled
      END
ORDER BY run_at, id
LIMIT $2

-- name: query_tasks
-- What `celeriac inspect query_task` shows of each id: unfinished (queued, scheduled, retry,
-- started, with its worker) or finished (with the worker of its last attempt).
-- param ids: uuid[]
-- column id: uuid
-- column name: text
-- column queue: text
-- column state: text
-- column worker: text?
-- column args: json
-- column kwargs: json
-- column attempt: int
-- column started_at: float8?
-- column finished_at: float8?
SELECT f.id, f.name, f.queue, f.state, f.worker, f.args::text AS args, f.kwargs::text AS kwargs, f.attempt,
       extract(epoch FROM f.started_at)::float8 AS started_at, extract(epoch FROM f.finished_at)::float8 AS finished_at
FROM celeriac.finished_tasks AS f WHERE f.id = ANY ($1::uuid[])
UNION ALL
SELECT u.id, u.name, u.queue, CASE WHEN u.state = 'queued' AND u.scheduled THEN 'scheduled' ELSE u.state END,
       u.worker, u.args::text, u.kwargs::text, u.attempt, extract(epoch FROM u.started_at)::float8, NULL
FROM celeriac.unfinished_tasks AS u WHERE u.id = ANY ($1::uuid[])

-- name: registered
-- Every task type the workers registered, for `celeriac inspect registered`.
-- column name: text
-- column acks_late: bool
-- column max_retries: int
-- column queue: text?
-- column registered_by: text
SELECT name, acks_late, max_retries, queue, registered_by FROM celeriac.registered_tasks ORDER BY name

-- name: revoked
-- What `celeriac inspect revoked` lists (the revoked_tasks view), newest first.
-- column task_id: uuid
-- column reason: text?
-- column terminate: bool
-- column revoked_by: text
-- column revoked_at: float8
-- column pending: bool
SELECT task_id, reason, terminate, revoked_by, extract(epoch FROM revoked_at)::float8 AS revoked_at, pending
FROM celeriac.revoked_tasks
ORDER BY revoked_at DESC


-- name: throughput
-- Finished tasks per minute and queue over the last `minutes` minutes (the throughput view),
-- oldest first; minutes with none are absent.
-- param minutes: int
-- column minute: float8
-- column queue: text
-- column succeeded: int
-- column failed: int
SELECT extract(epoch FROM minute)::float8 AS minute, queue, sum(succeeded)::int AS succeeded, sum(failed)::int AS failed
FROM celeriac.throughput
WHERE minute >= date_trunc('minute', now()) - make_interval(mins => $1)
GROUP BY minute, queue
ORDER BY minute, queue

-- name: list_tasks
-- One page of tasks, finished and unfinished, newest (or oldest) first: task_list(), whose
-- comment says what each filter means. `after`/`before` are exclusive id bounds (keyset
-- paging), `since`/`until` epoch seconds of creation.
-- param state: text?
-- param name: text?
-- param queue: text?
-- param worker: text?
-- param search: text?
-- param after: uuid?
-- param before: uuid?
-- param since: float8?
-- param until: float8?
-- param oldest_first: bool
-- param limit: int
-- param skip: int
-- param preview: int
-- column id: uuid
-- column name: text
-- column queue: text
-- column state: text
-- column worker: text?
-- column args: text
-- column kwargs: text
-- column result: text?
-- column error: text?
-- column attempt: int
-- column created_at: float8
-- column started_at: float8?
-- column finished_at: float8?
-- column runtime: float8?
SELECT t.id, t.name, t.queue, t.state, t.worker, t.args, t.kwargs, t.result, t.error, t.attempt,
       extract(epoch FROM t.created_at)::float8 AS created_at, extract(epoch FROM t.started_at)::float8 AS started_at,
       extract(epoch FROM t.finished_at)::float8 AS finished_at, t.runtime
FROM celeriac.task_list($1, $2, $3, $4, $5, $6, $7, to_timestamp($8), to_timestamp($9), $10, $11, $12, $13) AS t

-- name: list_window
-- The id `size` tasks away from `start` in the given direction (task_list_window()): the
-- bound that caps how many rows a text search reads.
-- param start: uuid?
-- param size: int
-- param oldest_first: bool
-- column bound: uuid?
SELECT celeriac.task_list_window($1, $2, $3) AS bound

-- name: schedules
-- Every periodic task, by name (the schedules view).
-- column name: text
-- column task: text
-- column schedule: text
-- column time_zone: text
-- column enabled: bool
-- column next_run_at: float8?
-- column last_run_at: float8?
-- column total_run_count: int
-- column late_by_seconds: float8
-- column last_state: text?
-- column last_error: text?
SELECT name, task, schedule, time_zone, enabled, extract(epoch FROM next_run_at)::float8 AS next_run_at,
       extract(epoch FROM last_run_at)::float8 AS last_run_at, total_run_count::int, late_by_seconds, last_state,
       last_error
FROM celeriac.schedules
ORDER BY name

-- name: chain_steps
-- The tasks of the chain (or the tree of parents and children) that `id` belongs to, first
-- task first: those sent or finished, then the steps still to come, from the `chain` column of
-- the one that carries them. Reads two partial indexes (0020), so it is quick at any size.
-- param id: uuid
-- column id: uuid
-- column name: text
-- column state: text
-- column parent_id: uuid?
WITH me AS (
    SELECT coalesce(
        (SELECT coalesce(f.root_id, f.id) FROM celeriac.finished_tasks AS f WHERE f.id = $1),
        (SELECT coalesce(u.root_id, u.id) FROM celeriac.unfinished_tasks AS u WHERE u.id = $1)) AS root
),
members AS (
    SELECT f.id, f.name, f.state, f.parent_id, NULL::jsonb AS chain FROM celeriac.finished_tasks AS f, me
    WHERE f.id = me.root OR f.root_id = me.root
    UNION ALL
    SELECT u.id, u.name, CASE WHEN u.state = 'queued' AND u.scheduled THEN 'scheduled' ELSE u.state END, u.parent_id,
           u.chain
    FROM celeriac.unfinished_tasks AS u, me
    WHERE u.id = me.root OR u.root_id = me.root
),
pending AS (
    SELECT (s.step ->> 'id')::uuid AS id, s.step ->> 'task' AS name, 'pending' AS state,
           lag((s.step ->> 'id')::uuid, 1, m.id) OVER (PARTITION BY m.id ORDER BY s.position) AS parent_id, s.position
    FROM members AS m
    CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(m.chain) = 'array' THEN m.chain ELSE '[]' END)
        WITH ORDINALITY AS s(step, position)
    WHERE celeriac.valid_chain_step(s.step)
)
SELECT id, name, state, parent_id FROM (
    SELECT id, name, state, parent_id, 0 AS part, 0::bigint AS position FROM members
    UNION ALL
    SELECT id, name, state, parent_id, 1, position FROM pending
) AS all_steps
WHERE (SELECT root FROM me) IS NOT NULL
ORDER BY part, CASE WHEN part = 0 THEN id END, position
