-- Statements on `groups`: groups of tasks and their members (migrations/0026_groups.sql).

-- name: save
-- Records a group's members, in order (in the transaction that inserts them).
-- param id: uuid
-- param task_ids: uuid[]
INSERT INTO celeriac.groups (id, task_ids) VALUES ($1, $2::uuid[]) ON CONFLICT (id) DO NOTHING

-- name: members
-- A saved group's members, in order (GroupResult.restore).
-- param id: uuid
-- column task_ids: uuid[]
SELECT task_ids FROM celeriac.groups WHERE id = $1

-- name: prune
-- Forgets groups made more than `expires_seconds` ago, as their results go.
-- param expires_seconds: float8
-- column pruned: int
WITH pruned AS (
    DELETE FROM celeriac.groups WHERE created_at < now() - make_interval(secs => $1::float8) RETURNING 1
)
SELECT count(*)::int AS pruned FROM pruned
