-- Statements on `control_messages` (migrations/0019_control.sql): what control() sent.

-- name: pending
-- The unexpired messages for any of `destinations` (a worker's instance id, its node name and
-- `*`), oldest first. A worker reads them at start-up (to know which are not for it: sent
-- before it started), then at every heartbeat and reconnect, and acts on those it has not
-- handled: how a message whose notification it missed still reaches it.
-- param destinations: text[]
-- column id: int
-- column command: text
-- column arguments: json
SELECT id::int, command, arguments::text AS arguments
FROM celeriac.control_messages
WHERE destination = ANY ($1::text[]) AND expires_at > now()
ORDER BY id

-- name: prune
-- Forget messages expired for a day (the audit log keeps what was sent).
DELETE FROM celeriac.control_messages WHERE expires_at < now() - interval '1 day'
