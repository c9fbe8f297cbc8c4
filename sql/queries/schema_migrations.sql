-- Statements of `celeriac migrate` (Schema/Migrator.swift). The schema itself is created by
-- CREATE SCHEMA with the validated name, the one statement that cannot be written here.

-- name: lock
-- Serialise concurrent migrators of one schema until commit.
-- param schema: text
SELECT pg_advisory_xact_lock(7010, hashtext($1))

-- name: create_table
-- The table that records applied migrations: it must exist before the first one runs.
CREATE TABLE IF NOT EXISTS celeriac.schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)

-- name: exists
-- Whether the schema was ever migrated.
-- param table: text
-- column exists: bool
SELECT to_regclass($1) IS NOT NULL AS exists

-- name: current_version
-- The newest migration applied.
-- column version: int
SELECT coalesce(max(version), 0) AS version FROM celeriac.schema_migrations

-- name: record
-- Record a migration applied.
-- param version: int
-- param name: text
INSERT INTO celeriac.schema_migrations (version, name) VALUES ($1, $2)
