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
