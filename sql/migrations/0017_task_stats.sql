-- 0017_task_stats: counters the monitoring views read instead of counting history. Each
-- worker counts its outcomes in memory and adds them once per heartbeat (queries/task_stats.sql
-- `add`), so the claim and completion statements pay nothing for them:
--
--   task_stats  per minute, queue, task name, worker, metric and bucket, a count:
--                 metric succeeded | failed | retried | revoked: outcomes, by runtime bucket;
--                 metric wait: attempts, by how long they waited once due (claim - run_at).
--               Buckets are those of stats_bucket() (repeatable/stats.sql), a log scale, so
--               the views give throughput, failure rates and runtime and wait percentiles
--               from a few hundred rows whatever the history. The worker is in the key so
--               that workers never wait on each other's counters. Kept for a day.
--   workers     totals since the worker started (processed = their sum).
CREATE TABLE task_stats (
    minute timestamptz NOT NULL,
    queue  text        NOT NULL,
    name   text        NOT NULL,
    worker text        NOT NULL,
    metric text        NOT NULL CHECK (metric IN ('succeeded', 'failed', 'retried', 'revoked', 'wait')),
    bucket smallint    NOT NULL CHECK (bucket BETWEEN 0 AND 63),
    count  bigint      NOT NULL,
    PRIMARY KEY (minute, queue, name, worker, metric, bucket)
);

ALTER TABLE workers ADD COLUMN succeeded bigint NOT NULL DEFAULT 0;
ALTER TABLE workers ADD COLUMN failed bigint NOT NULL DEFAULT 0;
ALTER TABLE workers ADD COLUMN retried bigint NOT NULL DEFAULT 0;
ALTER TABLE workers ADD COLUMN revoked bigint NOT NULL DEFAULT 0;
