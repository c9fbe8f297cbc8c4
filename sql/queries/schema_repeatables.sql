-- Statements on `schema_repeatables` (migrations/0009_repeatables.sql): which version of each
-- file in sql/repeatable is applied.

-- name: applied
-- Every repeatable file applied, with the checksum of the text applied.
-- column name: text
-- column checksum: text
SELECT name, checksum FROM celeriac.schema_repeatables ORDER BY name

-- name: record
-- Record the checksum of a repeatable file just applied.
-- param name: text
-- param checksum: text
INSERT INTO celeriac.schema_repeatables (name, checksum) VALUES ($1, $2)
ON CONFLICT (name) DO UPDATE SET checksum = EXCLUDED.checksum, applied_at = now()
