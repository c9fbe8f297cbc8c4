-- Statements on `leaders`: leader leases (migrations/0002_beat.sql). One statement each, no
-- session state, so they survive connection loss and work through poolers.

-- name: acquire
-- Take or renew the lease on `role` for `holder`; a row comes back while `holder` leads.
-- When the lease lapses (database clock), the next caller takes over.
-- param role: text
-- param holder: text
-- param duration_seconds: float8
-- column holder: text
INSERT INTO celeriac.leaders AS l (role, holder, expires_at)
VALUES ($1, $2, now() + make_interval(secs => $3::float8))
ON CONFLICT (role) DO UPDATE
    SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at,
        elected_at = CASE WHEN l.holder = EXCLUDED.holder THEN l.elected_at ELSE now() END
    WHERE l.holder = EXCLUDED.holder OR l.expires_at < now()
RETURNING holder

-- name: release
-- Give the lease up at once (on shutdown), so another node takes over without waiting.
-- param role: text
-- param holder: text
DELETE FROM celeriac.leaders WHERE role = $1 AND holder = $2
