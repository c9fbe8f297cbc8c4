-- 0015_paused_queues: queues paused with pause_queue() (repeatable/control.sql). Workers take
-- nothing from a paused queue from their next claim on; tasks keep arriving and wait.
CREATE TABLE paused_queues (
    queue     text        PRIMARY KEY,
    paused_by text        NOT NULL DEFAULT current_user,
    paused_at timestamptz NOT NULL DEFAULT now()
);
