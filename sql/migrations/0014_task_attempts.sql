-- 0014_task_attempts: final outcomes that were retried by hand (retry(), repeatable/control.sql)
-- are kept here when the task goes back to the queue, so a task's history keeps the attempts
-- before the retry. Same columns as results, plus when it was archived.
CREATE TABLE task_attempts (
    LIKE results INCLUDING DEFAULTS,
    archived_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX task_attempts_id_idx ON task_attempts (id);
