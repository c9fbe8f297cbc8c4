-- Statements on `revocations` (migrations/0013_revocations.sql).

-- name: prune
-- Forget revocations whose task has left the queue (its outcome is written).
DELETE FROM celeriac.revocations AS v WHERE NOT EXISTS (SELECT 1 FROM celeriac.tasks AS t WHERE t.id = v.task_id)

-- name: recent
-- What `celeriac inspect revoked` lists: revocations of running tasks not settled yet, and the
-- tasks revoked in the last day (from audit_log: every revoke() call), newest first.
-- column task_id: uuid
-- column reason: text?
-- column terminate: bool
-- column revoked_by: text
-- column revoked_at: float8
-- column pending: bool
SELECT v.task_id, v.reason, v.terminate, v.revoked_by, extract(epoch FROM v.revoked_at)::float8 AS revoked_at,
       true AS pending
FROM celeriac.revocations AS v
UNION ALL
SELECT i.id::uuid, a.arguments ->> 'reason', coalesce((a.arguments ->> 'terminate')::boolean, false), a.actor,
       extract(epoch FROM a.at)::float8, false
FROM celeriac.audit_log AS a
CROSS JOIN LATERAL jsonb_array_elements_text(a.arguments -> 'ids') AS i(id)
WHERE a.action = 'revoke' AND a.at > now() - interval '1 day'
  AND EXISTS (SELECT 1 FROM celeriac.results AS r WHERE r.id = i.id::uuid AND r.state = 'revoked')
  AND NOT EXISTS (SELECT 1 FROM celeriac.revocations AS v WHERE v.task_id = i.id::uuid)
ORDER BY revoked_at DESC
