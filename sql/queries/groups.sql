-- Statements on `groups`: groups of tasks and their members (migrations/0026_groups.sql).

-- name: save
-- Records a group's members, in order (in the transaction that inserts them). With a body it is
-- a chord (0027): `remaining` counts its members down as their outcomes are written.
-- param id: uuid
-- param task_ids: uuid[]
-- param body: json?
-- param rest: json?
-- param allowed_failures: int
-- param root_id: uuid
INSERT INTO celeriac.groups (id, task_ids, body, rest, remaining, allowed_failures, root_id)
VALUES ($1, $2::uuid[], $3::jsonb, $4::jsonb, CASE WHEN $3::jsonb IS NOT NULL THEN cardinality($2::uuid[]) END,
        $5, $6)
ON CONFLICT (id) DO NOTHING

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
