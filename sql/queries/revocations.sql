-- Statements on `revocations` (migrations/0013_revocations.sql) and the revoke() function
-- (repeatable/control.sql).

-- name: revoke
-- Revoke tasks: see revoke() in repeatable/control.sql for what each outcome means.
-- param ids: uuid[]
-- param terminate: bool
-- param reason: text
-- column task_id: uuid
-- column outcome: text
SELECT task_id, outcome FROM celeriac.revoke($1::uuid[], $2, $3)

-- name: prune
-- Forget revocations whose task has left the queue (its outcome is written).
DELETE FROM celeriac.revocations AS v WHERE NOT EXISTS (SELECT 1 FROM celeriac.tasks AS t WHERE t.id = v.task_id)

-- name: retry
-- Run failed or revoked tasks again: see retry() in repeatable/control.sql.
-- param ids: uuid[]
-- column task_id: uuid
-- column outcome: text
SELECT task_id, outcome FROM celeriac.retry($1::uuid[])

-- name: pause_queue
-- Pause a queue: see pause_queue() in repeatable/control.sql.
-- param queue: text
-- column paused: bool
SELECT celeriac.pause_queue($1) AS paused

-- name: resume_queue
-- Resume a queue: see resume_queue() in repeatable/control.sql.
-- param queue: text
-- column resumed: bool
SELECT celeriac.resume_queue($1) AS resumed
