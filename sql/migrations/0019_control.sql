-- 0019_control: durable control messages and the audit log (repeatable/control.sql).
--
-- control_messages: what control() sent (shutdown, pool_grow, pool_shrink, add_consumer,
-- cancel_consumer) to one worker (its node name or instance id) or all ('*'). Delivered at
-- once on the control topic; a live worker that missed the notification (its connection was
-- down) finds the messages after the last one it handled at its next heartbeat or reconnect,
-- until they expire. A worker started later does not replay them: they were for the workers
-- alive when they were sent.
CREATE TABLE control_messages (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    destination text        NOT NULL CHECK (destination <> ''),
    command     text        NOT NULL,
    arguments   jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(arguments) = 'object'),
    sent_by     text        NOT NULL,
    sent_at     timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);

-- audit_log: every control action (revoke, retry, purge, pause and resume of a queue,
-- control messages), who did it and what came of it. `actor` is the database session's user,
-- or what the caller set in `celeriac_audit.actor` (the dashboard's signed-in user), `role` the
-- database role either way.
CREATE TABLE audit_log (
    id        bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at        timestamptz NOT NULL DEFAULT now(),
    actor     text        NOT NULL,
    role      text        NOT NULL,
    action    text        NOT NULL,
    target    text,
    arguments jsonb       NOT NULL DEFAULT '{}',
    outcome   jsonb
);
CREATE INDEX audit_log_at_idx ON audit_log (at);
