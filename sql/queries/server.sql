-- Statements about the server itself, not Celeriac's tables: what `celeriac doctor` checks.

-- name: health
-- The settings and activity that matter to a fleet of workers: connections in use against
-- max_connections, idle_in_transaction_session_timeout, the oldest open transaction of another
-- session (which holds back vacuum of the queue), the server's clock, for the skew with the
-- host, and max_wal_size with the checkpoints it forced (from pg_stat_bgwriter, read through
-- to_jsonb so that servers whose view lacks those columns, 17 on, answer null).
-- column max_connections: int
-- column connections: int
-- column idle_in_transaction_timeout: text
-- column oldest_transaction_seconds: float8?
-- column oldest_transaction_application: text?
-- column clock: float8
-- column max_wal_size: text
-- column max_wal_bytes: float8
-- column checkpoints_requested: float8?
-- column checkpoints_timed: float8?
SELECT current_setting('max_connections')::int AS max_connections,
       (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::int AS connections,
       current_setting('idle_in_transaction_session_timeout') AS idle_in_transaction_timeout,
       o.seconds AS oldest_transaction_seconds, o.application AS oldest_transaction_application,
       extract(epoch FROM clock_timestamp())::float8 AS clock,
       current_setting('max_wal_size') AS max_wal_size,
       pg_size_bytes(current_setting('max_wal_size'))::float8 AS max_wal_bytes,
       (SELECT (to_jsonb(b) ->> 'checkpoints_req')::float8 FROM pg_stat_bgwriter AS b) AS checkpoints_requested,
       (SELECT (to_jsonb(b) ->> 'checkpoints_timed')::float8 FROM pg_stat_bgwriter AS b) AS checkpoints_timed
FROM (SELECT 1) AS one
LEFT JOIN LATERAL (
    SELECT extract(epoch FROM clock_timestamp() - a.xact_start)::float8 AS seconds, a.application_name AS application
    FROM pg_stat_activity AS a
    WHERE a.xact_start IS NOT NULL AND a.pid <> pg_backend_pid() AND a.backend_xmin IS NOT NULL
    ORDER BY a.xact_start
    LIMIT 1
) AS o ON true

-- name: live_workers
-- Workers heard from within `seconds` (heartbeats), for the connection budget.
-- param seconds: float8
-- column workers: int
SELECT count(*)::int AS workers FROM celeriac.workers
WHERE stopped_at IS NULL AND last_heartbeat_at > now() - make_interval(secs => $1)
