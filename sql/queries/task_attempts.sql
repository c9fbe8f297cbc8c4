-- Statements on `task_attempts`: final outcomes retried by hand (migrations/0014_task_attempts.sql).

-- name: prune
-- Forgets up to `batch` archived outcomes finished more than `expires_seconds` ago, as results
-- go (result_expires): a task's history keeps the attempts before a retry as long as results.
-- param expires_seconds: float8
-- param batch: int
-- column pruned: int
WITH pruned AS (
    DELETE FROM celeriac.task_attempts WHERE ctid IN (
        SELECT ctid FROM celeriac.task_attempts
        WHERE coalesce(finished_at, archived_at) < now() - make_interval(secs => $1::float8)
        LIMIT $2
    )
    RETURNING 1
)
SELECT count(*)::int AS pruned FROM pruned
