-- 0016_events: the durable event log (`worker -E`, Celery's task and worker events), written
-- by the same statements as the transitions they describe (queries/tasks.sql, workers.sql,
-- repeatable/control.sql) and announced on the `<schema>.events` topic once per statement.
--
-- One row per statement and kind, not per task: a row's arrays hold one element per task
-- (task_ids[i], names[i], queues[i], attempts[i], runtimes[i], errors[i]), so a batch of a
-- hundred outcomes costs one row and one index entry per index, and -E stays cheap. The view
-- task_events (repeatable/events.sql) shows one row per task and event; task_history(id)
-- reads one task's.
--
-- kind, for tasks:  received, started (a claim: Celeriac claims only for a free slot, so the
--                   two share a time), succeeded, failed, retried, revoked, rejected (given
--                   back to the queue by its worker), lease-lost (its worker stopped renewing;
--                   detail.outcome says whether rescue re-queued, failed or revoked it);
-- kind, for workers: worker-online, worker-heartbeat, worker-offline (no task arrays).
--
-- What `-E` gates: the events of a worker's claims and outcomes, and its heartbeats. Rare
-- transitions (worker online/offline, revoke(), rescue, give-back) are always recorded.
-- Pruned with results (result_expires).
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
);
-- The live tail and pruning read time ranges.
CREATE INDEX events_at_idx ON events (at);
-- A task's history (task_history(), repeatable/events.sql) needs no index per task: a row's
-- time is its statement's now(), which is also the time the task's row took from the same
-- statement (tasks.started_at at a claim, results.finished_at at an outcome), so the rows of
-- a task's last attempt are found by time. The kinds after which a task runs again are
-- indexed by task, with the attempt's start in detail.started_at, for the earlier attempts.
CREATE INDEX events_requeued_idx ON events USING gin (task_ids) WHERE kind IN ('retried', 'lease-lost', 'rejected');

-- Workers say whether they record task events, and which task names they run (`inspect
-- registered`, the workers view).
ALTER TABLE workers ADD COLUMN send_events boolean NOT NULL DEFAULT false;
ALTER TABLE workers ADD COLUMN tasks text[] NOT NULL DEFAULT '{}';
