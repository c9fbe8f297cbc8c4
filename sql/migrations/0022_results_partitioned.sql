-- 0022_results_partitioned: results are partitioned by id, which is the time a task was made
-- (UUID version 7), and events by time, so that what has expired goes a whole partition at a
-- time.
--
-- Deleting them row by row kept up with about 2,000 rows a second (10,000 per maintenance
-- round): draining a million tasks with result_expires of 5 s left 593,437 results twelve
-- seconds after the queue was empty, and every deleted row was then work for vacuum. Dropping
-- a partition costs the same whatever it holds. The maintenance leader creates partitions
-- ahead of time and drops those whose every row has expired (repeatable/partitions.sql).
-- Events were deleted row by row too: in a 5-minute run at full speed their rows stayed
-- bounded but the table grew from 256 to 656 MiB before vacuum caught up.
--
-- The id, not finished_at, is the partition key because it is the primary key: a lookup by
-- id (AsyncResult, the dashboard) reads one partition, and ON CONFLICT (id) still works. A
-- result lands in the partition of its task's creation, so a partition is dropped only once
-- no task of its range is left in the queue and none of its results is younger than
-- result_expires. Ids outside every range (made elsewhere: version 4, or far future) land in
-- results_default, which is pruned row by row as before.
ALTER TABLE results RENAME TO results_unpartitioned;
ALTER INDEX results_pkey RENAME TO results_unpartitioned_pkey;
ALTER INDEX results_finished_at_idx RENAME TO results_unpartitioned_finished_at_idx;
ALTER INDEX results_failed_idx RENAME TO results_unpartitioned_failed_idx;
ALTER INDEX results_root_id_idx RENAME TO results_unpartitioned_root_id_idx;

CREATE TABLE results (
    id          uuid        NOT NULL,
    name        text        NOT NULL,
    queue       text        NOT NULL,
    state       text        NOT NULL CHECK (state IN ('succeeded', 'failed', 'revoked')),
    args        jsonb       NOT NULL DEFAULT '[]',
    kwargs      jsonb       NOT NULL DEFAULT '{}',
    result      jsonb,                  -- the return value, for succeeded tasks
    error       jsonb,                  -- {type, message, traceback}, for failed and revoked tasks
    attempt     integer     NOT NULL DEFAULT 0,
    retries     integer     NOT NULL DEFAULT 0,
    worker      text,
    parent_id   uuid,
    root_id     uuid,
    created_at  timestamptz NOT NULL DEFAULT now(),
    started_at  timestamptz,
    finished_at timestamptz NOT NULL DEFAULT now(),
    runtime     double precision,       -- seconds spent running the final attempt
    PRIMARY KEY (id)
) PARTITION BY RANGE (id);

-- Rows arrive in finishing order: a BRIN index tells whether a partition still holds a result
-- younger than result_expires, and finds the default partition's expired rows.
CREATE INDEX results_finished_at_idx ON results USING brin (finished_at) WITH (autosummarize = on);
CREATE INDEX results_failed_idx ON results (finished_at) WHERE state = 'failed';
CREATE INDEX results_root_id_idx ON results (root_id) WHERE root_id IS NOT NULL;

CREATE TABLE results_default PARTITION OF results DEFAULT;

-- The partitions of results and events, by the times they cover, [lower_at, upper_at): for
-- results the creation time of the ids they hold, for events `at`.
CREATE TABLE partitions (
    name       text        PRIMARY KEY,
    parent     text        NOT NULL CHECK (parent IN ('results', 'events')),
    lower_at   timestamptz NOT NULL,
    upper_at   timestamptz NOT NULL CHECK (upper_at > lower_at),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX partitions_parent_upper_at_idx ON partitions (parent, upper_at);

-- What was there goes to the default partition; it is pruned row by row as it expires.
INSERT INTO results SELECT * FROM results_unpartitioned;

ALTER TABLE events RENAME TO events_unpartitioned;
ALTER INDEX events_at_idx RENAME TO events_unpartitioned_at_idx;
ALTER INDEX events_requeued_idx RENAME TO events_unpartitioned_requeued_idx;
CREATE TABLE events (
    at       timestamptz        NOT NULL DEFAULT now(),   -- database clock, the statement's time
    kind     text               NOT NULL,
    worker   text,                                        -- the worker instance (workers.id)
    task_ids uuid[],
    names    text[],
    queues   text[],
    attempts integer[],
    runtimes double precision[],                          -- seconds, for outcomes
    errors   jsonb[],                                     -- {type, message, traceback}
    detail   jsonb                                        -- arrays are per task: {"countdown": [3, 5]}
) PARTITION BY RANGE (at);
CREATE INDEX events_at_idx ON events (at);
CREATE INDEX events_requeued_idx ON events USING gin (task_ids) WHERE kind IN ('retried', 'lease-lost', 'rejected');
CREATE TABLE events_default PARTITION OF events DEFAULT;
INSERT INTO events SELECT * FROM events_unpartitioned;
DROP TABLE events_unpartitioned CASCADE;
-- The views and functions over the old table go with it; the repeatable files make them again
-- over the new one (every one is applied again after this migration).
DROP TABLE results_unpartitioned CASCADE;
DELETE FROM schema_repeatables;
