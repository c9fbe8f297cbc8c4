-- 0010_workers_track_started: whether a running task reads as STARTED is decided by the
-- worker running it (its task_track_started), not by whoever asks. Each worker records its
-- setting when it registers; results.status reads it through the task's owner.
ALTER TABLE workers ADD COLUMN track_started boolean NOT NULL DEFAULT false;
