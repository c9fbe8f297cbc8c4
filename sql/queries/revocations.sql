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

-- name: queues
-- Every queue with waiting or running tasks, or paused: depth by state, the oldest waiting
-- task's age, and whether it is paused. Reads the queue table only (unfinished work), never
-- the history.
-- column queue: text
-- column queued: int
-- column scheduled: int
-- column retry: int
-- column started: int
-- column oldest_seconds: float8?
-- column paused: bool
WITH depth AS (
    SELECT queue,
           count(*) FILTER (WHERE state = 'queued' AND run_at <= now())::int AS queued,
           count(*) FILTER (WHERE state = 'queued' AND run_at > now())::int AS scheduled,
           count(*) FILTER (WHERE state = 'retry')::int AS retry,
           count(*) FILTER (WHERE state = 'started')::int AS started,
           extract(epoch FROM now() - min(run_at) FILTER (WHERE state IN ('queued', 'retry') AND run_at <= now()))::float8
               AS oldest_seconds
    FROM celeriac.tasks GROUP BY queue
)
SELECT coalesce(d.queue, p.queue) AS queue, coalesce(d.queued, 0) AS queued, coalesce(d.scheduled, 0) AS scheduled,
       coalesce(d.retry, 0) AS retry, coalesce(d.started, 0) AS started, d.oldest_seconds,
       p.queue IS NOT NULL AS paused
FROM depth AS d FULL JOIN celeriac.paused_queues AS p ON p.queue = d.queue
ORDER BY 1
