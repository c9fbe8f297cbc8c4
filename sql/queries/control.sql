-- Calls of the control functions (repeatable/control.sql): revoke, retry, purge, pause and
-- resume a queue, control messages. The CLI and the dashboard run these.

-- name: revoke
-- Revoke tasks: see revoke() in repeatable/control.sql for what each outcome means.
-- param ids: uuid[]
-- param terminate: bool
-- param reason: text
-- column task_id: uuid
-- column outcome: text
SELECT task_id, outcome FROM celeriac.revoke($1::uuid[], $2, $3)

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

-- name: purge
-- Purge the waiting tasks of one queue, or of all when NULL: see purge() in repeatable/control.sql.
-- param queue: text?
-- column purged: int
SELECT celeriac.purge($1) AS purged

-- name: control
-- Send a control message: see control() in repeatable/control.sql.
-- param destination: text
-- param command: text
-- param arguments: json
-- column id: int
SELECT celeriac.control($1, $2, $3::jsonb)::int AS id

-- name: set_actor
-- Names who acts for the rest of the transaction (the dashboard's signed-in user): the control
-- functions record it in audit_log (control_actor(), repeatable/control.sql).
-- param actor: text
SELECT set_config('celeriac_audit.actor', $1, true)

-- name: enable_schedule
-- Turn a periodic task on or off: see enable_schedule() in repeatable/control.sql.
-- param name: text
-- param enabled: bool
-- column found: bool
SELECT celeriac.enable_schedule($1, $2) AS found

-- name: run_schedule_now
-- Enqueue a periodic task's task once, now: see run_schedule_now() in repeatable/control.sql.
-- param name: text
-- column task_id: uuid?
SELECT celeriac.run_schedule_now($1) AS task_id
