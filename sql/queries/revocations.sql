-- Statements on `revocations` (migrations/0013_revocations.sql).

-- name: prune
-- Forget revocations whose task has left the queue (its outcome is written).
DELETE FROM celeriac.revocations AS v WHERE NOT EXISTS (SELECT 1 FROM celeriac.tasks AS t WHERE t.id = v.task_id)
