-- 0024_snoozed_events: a task that snoozes (TaskContext.snooze) runs again after its `snoozed`
-- event, as after a retry: task_history (repeatable/events.sql) finds those events through
-- the same partial index, which therefore names the new kind.
DROP INDEX events_requeued_idx;
CREATE INDEX events_requeued_idx ON events USING gin (task_ids)
    WHERE kind IN ('retried', 'snoozed', 'lease-lost', 'rejected');
