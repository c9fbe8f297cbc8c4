-- 0028_task_limits: rate and concurrency limits that hold across the whole fleet
-- (repeatable/limits.sql, Swift: Task/TaskLimits.swift). Both are decided when a worker claims
-- a task, under a lock on the limit's row, so workers claiming disjoint rows with SKIP LOCKED
-- never spend the same budget twice. A task held back is moved to when it may start, so it
-- never holds back the tasks behind it in its queue.

-- Rate limits (options `rate_limit`, e.g. "10/m", and `rate_key`): starts are spaced evenly,
-- as Celery's token bucket spaces them on one worker. `next_at` is the earliest moment the
-- next start of the key may happen (the generic cell rate algorithm's "theoretical arrival
-- time"); each start moves it on by the interval. A task that must wait is given its own
-- moment, reserved then (options `rate_reserved`), so waiting tasks are not claimed again
-- and again.
CREATE TABLE rate_limits (
    key        text        PRIMARY KEY,
    next_at    timestamptz NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Concurrency limits (options `concurrency_limit`, `concurrency_key`): at most that many tasks
-- of the key are started at once. The running ones are counted in `tasks` (so a lost worker's
-- tasks stop counting as soon as they are rescued, and no counter can drift); this row is
-- only the lock that orders admissions, and the tally of those made by the transaction that
-- holds it (`txid`, `admitted`), which the count cannot see yet.
CREATE TABLE concurrency_keys (
    key      text    PRIMARY KEY,
    txid     xid8,
    admitted integer NOT NULL DEFAULT 0
);

-- The tasks of a concurrency key, by state: counting the started ones, finding those waiting.
CREATE INDEX tasks_concurrency_key_idx ON tasks ((options ->> 'concurrency_key'), state)
    WHERE options ? 'concurrency_key';
