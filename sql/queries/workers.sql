-- Statements on `workers`: the registry of worker processes ("mingle"), see
-- migrations/0001_core.sql and 0005_worker_listening.sql.

-- name: register
-- Register (or re-register) a worker process at start-up, with whether its running tasks
-- read as STARTED (task_track_started), whether it records task events (-E), and the task
-- names it runs. Recorded as a worker-online event (0016), announced.
-- param id: text
-- param name: text
-- param hostname: text
-- param pid: int
-- param queues: text[]
-- param concurrency: int
-- param pool: text
-- param version: text
-- param track_started: bool
-- param send_events: bool
-- param tasks: text[]
-- param events_channel: text
-- param heartbeat_seconds: float8
WITH registered AS (
    INSERT INTO celeriac.workers (id, name, hostname, pid, queues, concurrency, pool, version, track_started,
                                 send_events, tasks, heartbeat_seconds)
    VALUES ($1, $2, $3, $4, $5::text[], $6, $7, $8, $9, $10, $11::text[], $13)
    ON CONFLICT (id) DO UPDATE SET last_heartbeat_at = now(), stopped_at = NULL, listening = false,
                                   track_started = EXCLUDED.track_started, send_events = EXCLUDED.send_events,
                                   tasks = EXCLUDED.tasks, queues = EXCLUDED.queues,
                                   concurrency = EXCLUDED.concurrency, heartbeat_seconds = EXCLUDED.heartbeat_seconds
),
logged AS (
    INSERT INTO celeriac.events (kind, worker, detail)
    VALUES ('worker-online', $1, jsonb_build_object('name', $2::text, 'hostname', $3::text, 'pid', $4::int,
                                                    'queues', $5::text[], 'concurrency', $6::int, 'pool', $7::text,
                                                    'version', $8::text, 'send_events', $10::bool))
)
SELECT pg_notify($12, $1)

-- name: neighbours
-- Other live workers: registered, not stopped, heartbeat within `alive_seconds`.
-- param id: text
-- param alive_seconds: float8
-- column name: text
SELECT name FROM celeriac.workers
WHERE id <> $1 AND stopped_at IS NULL
  AND last_heartbeat_at > now() - make_interval(secs => $2::float8)
ORDER BY name

-- name: stop
-- Mark a worker stopped: it no longer counts as alive, nor as waiting for work. Recorded as
-- a worker-offline event (0016), announced.
-- param id: text
-- param events_channel: text
WITH stopped AS (
    UPDATE celeriac.workers SET stopped_at = now(), listening = false WHERE id = $1
    RETURNING succeeded, failed, retried, revoked
),
logged AS (
    INSERT INTO celeriac.events (kind, worker, detail)
    SELECT 'worker-offline', $1, jsonb_build_object('succeeded', s.succeeded, 'failed', s.failed,
                                                    'retried', s.retried, 'revoked', s.revoked)
    FROM stopped AS s
)
SELECT pg_notify($2, $1)

-- name: forget_silent_listeners
-- A worker silent for a whole lease (killed or cut off, its tasks being rescued) waits for
-- nothing: producers stop sending NOTIFYs on its account. A live worker that was only slow
-- sets the flag again at its next claim.
-- param lease_seconds: float8
UPDATE celeriac.workers SET listening = false
WHERE listening AND last_heartbeat_at < now() - make_interval(secs => $1::float8)

-- name: prune
-- Forget workers silent for a day.
DELETE FROM celeriac.workers WHERE last_heartbeat_at < now() - interval '1 day'

-- name: notify
-- Send one notification: a control message, or a worker's reply (channels: Topics).
-- param channel: text
-- param payload: text
SELECT pg_notify($1, $2)

-- name: alive
-- Workers registered, not stopped, with a heartbeat within `alive_seconds`: what
-- `celeriac inspect` reads when no worker is asked.
-- param alive_seconds: float8
-- column id: text
-- column name: text
-- column queues: text[]
-- column concurrency: int
-- column pool: text
-- column heartbeat_age: float8
SELECT id, name, queues, concurrency, pool, extract(epoch FROM now() - last_heartbeat_at)::float8 AS heartbeat_age
FROM celeriac.workers
WHERE stopped_at IS NULL AND last_heartbeat_at > now() - make_interval(secs => $1::float8)
ORDER BY name

-- name: reconfigure
-- A worker's queues or concurrency changed (control: add_consumer, cancel_consumer,
-- pool_grow, pool_shrink).
-- param id: text
-- param queues: text[]
-- param concurrency: int
UPDATE celeriac.workers SET queues = $2::text[], concurrency = $3 WHERE id = $1
