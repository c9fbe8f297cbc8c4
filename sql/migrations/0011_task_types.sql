-- 0011_task_types: the options a task type is registered with, written by every worker that
-- runs it (the worker's registry is the authority for a task's options; per-call overrides
-- in the row win over it). Whoever handles a row without the task's code reads them here:
-- rescue decides with them whether a task whose worker died runs again, whichever path
-- enqueued it (a Swift producer, celeriac.enqueue(), `celeriac call`, beat).
CREATE TABLE task_types (
    name                  text        PRIMARY KEY,
    acks_late             boolean     NOT NULL,
    max_retries           integer     NOT NULL,
    reject_on_worker_lost boolean     NOT NULL,
    time_limit            double precision,
    soft_time_limit       double precision,
    ignore_result         boolean     NOT NULL DEFAULT false,
    queue                 text,
    registered_by         text        NOT NULL,   -- the worker instance that wrote it last
    registered_at         timestamptz NOT NULL DEFAULT now()
);
