-- Statements on `settings` (migrations/0012_settings.sql): what SQL producers need of the
-- workers' configuration.

-- name: put
-- A worker writes its settings when it registers (the latest registration wins).
-- param keys: text[]
-- param values: text[]
-- param worker: text
INSERT INTO celeriac.settings AS s (key, value, updated_by)
SELECT k, v::jsonb, $3 FROM unnest($1::text[], $2::text[]) AS i(k, v)
ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_by = EXCLUDED.updated_by, updated_at = now()

-- name: get
-- One setting, as JSON text (no row: not written yet).
-- param key: text
-- column value: json
SELECT value::text AS value FROM celeriac.settings WHERE key = $1

-- name: grant_roles
-- Create (if missing) and grant the least-privilege roles: see grant_roles() in
-- repeatable/roles.sql. Records their names under 'roles'.
-- param producer: text
-- param worker: text
-- param monitor: text
-- param admin: text
SELECT celeriac.grant_roles($1, $2, $3, $4)

-- name: roles
-- The role names granted last (no row: `migrate --roles` never ran on this schema).
-- column producer: text
-- column worker: text
-- column monitor: text
-- column admin: text
SELECT value ->> 'producer' AS producer, value ->> 'worker' AS worker, value ->> 'monitor' AS monitor,
       value ->> 'admin' AS admin
FROM celeriac.settings WHERE key = 'roles'

-- name: synchronous_commit
-- This role's synchronous_commit, read when a worker starts: what a claim puts back in a
-- transaction that a relaxed completion turned off, when it claims a durable task.
-- column value: text
SELECT current_setting('synchronous_commit') AS value
