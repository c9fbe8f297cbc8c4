-- 0018_monitoring: what the monitoring views (repeatable/views.sql) need beyond the counters.
--
-- Workers record their heartbeat interval, so a view can tell alive from stale and dead.
ALTER TABLE workers ADD COLUMN heartbeat_seconds double precision NOT NULL DEFAULT 5;
-- Recent failures by time: a partial index holds failed results only, so successes (almost
-- every completion) pay nothing for it.
CREATE INDEX results_failed_idx ON results (finished_at) WHERE state = 'failed';
