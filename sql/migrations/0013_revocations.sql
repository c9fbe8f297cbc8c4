-- 0013_revocations: revocations of running tasks, kept until their outcome is written, so a
-- revoke survives a worker that was away or restarted (Celery keeps them in memory). Waiting
-- tasks need none: revoke() ends them at once. The owner of a running task is told on the
-- control topic, and finds it again at its next heartbeat; rescue honours it too.
CREATE TABLE revocations (
    task_id    uuid        PRIMARY KEY,
    reason     text        NOT NULL,
    terminate  boolean     NOT NULL DEFAULT false,
    revoked_by text        NOT NULL DEFAULT current_user,
    revoked_at timestamptz NOT NULL DEFAULT now()
);
