-- 0001_core: the queue, the results, the worker registry and the enqueue function.
--
-- Applied by `celeriac migrate` inside one transaction with search_path set to the
-- target schema (default `celeriac`), so names below are unqualified. Never edit a
-- shipped migration: add a new numbered file instead.

-- Time-ordered UUIDs (version 7): new rows land at the right edge of the primary key
-- index instead of scattering over it. PostgreSQL 15 has no built-in uuidv7().
CREATE FUNCTION uuid_v7() RETURNS uuid
LANGUAGE sql VOLATILE PARALLEL SAFE AS $$
    SELECT encode(
        set_bit(set_bit(
            overlay(uuid_send(gen_random_uuid())
                    PLACING substring(int8send((extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
                    FROM 1 FOR 6),
            52, 1), 53, 1),
        'hex')::uuid
$$;

-- The queue: every task that has not reached a final state. Kept small on purpose:
-- finished tasks move to `results`, so claiming never wades through history.
--
-- state:
--   queued   waiting to run at run_at (a future run_at means scheduled: countdown/eta)
--   retry    failed an attempt, waiting to run again at run_at
--   started  claimed by `owner` until `lease_expires_at` (database clock)
CREATE TABLE tasks (
    id               uuid        PRIMARY KEY,
    name             text        NOT NULL CHECK (name <> '' AND length(name) <= 200),
    queue            text        NOT NULL DEFAULT 'celery' CHECK (queue ~ '^[A-Za-z0-9_.:@-]{1,100}$'),
    priority         smallint    NOT NULL DEFAULT 0 CHECK (priority BETWEEN 0 AND 255),
    state            text        NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'retry', 'started')),
    args             jsonb       NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(args) = 'array'),
    kwargs           jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(kwargs) = 'object'),
    -- Per-call options the worker honours (e.g. acks_late, time limits); free-form JSON object.
    options          jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(options) = 'object'),
    -- The rest of a chain: an array of steps {id, task, args, kwargs, queue, priority, options, immutable}.
    -- When this task succeeds, step 0 is inserted in the same statement that stores the result.
    chain            jsonb       CHECK (chain IS NULL OR jsonb_typeof(chain) = 'array'),
    run_at           timestamptz NOT NULL DEFAULT now() CHECK (isfinite(run_at)),
    expires_at       timestamptz,
    attempt          integer     NOT NULL DEFAULT 0,   -- times claimed, counted at claim time
    retries          integer     NOT NULL DEFAULT 0,   -- retries already scheduled (Celery's request.retries)
    max_retries      integer,                          -- overrides the task's own limit when set
    owner            text,                             -- the worker instance holding the lease
    lease_expires_at timestamptz,
    last_error       jsonb,                            -- {type, message, traceback} of the last failed attempt
    parent_id        uuid,
    root_id          uuid,
    created_at       timestamptz NOT NULL DEFAULT now(),
    started_at       timestamptz
) WITH (fillfactor = 85);  -- room for HOT lease renewals

-- The claim path reads only this partial index of runnable rows, in claim order.
CREATE INDEX tasks_runnable_idx ON tasks (queue, priority DESC, run_at, id)
    WHERE state IN ('queued', 'retry');
-- Running tasks by owner: heartbeats renew a worker's leases through it, rescue scans it
-- for expired ones. lease_expires_at is deliberately not indexed, so renewals stay HOT.
CREATE INDEX tasks_owner_idx ON tasks (owner) WHERE state = 'started';

-- Final outcomes, kept for `result_expires` and for inspection.
CREATE TABLE results (
    id          uuid        PRIMARY KEY,
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
    runtime     double precision       -- seconds spent running the final attempt
);
-- Pruning by age. Rows arrive in finishing order, so a BRIN index finds old ones at a
-- fraction of a B-tree's upkeep on every completion.
CREATE INDEX results_finished_at_idx ON results USING brin (finished_at);

-- Live and past worker processes ("mingle" reads the live ones).
CREATE TABLE workers (
    id                text        PRIMARY KEY,   -- instance id, the `owner` of its leases
    name              text        NOT NULL,      -- node name, e.g. celeriac@host
    hostname          text        NOT NULL,
    pid               integer     NOT NULL,
    queues            text[]      NOT NULL,
    concurrency       integer     NOT NULL,
    pool              text        NOT NULL,
    version           text        NOT NULL,
    started_at        timestamptz NOT NULL DEFAULT now(),
    last_heartbeat_at timestamptz NOT NULL DEFAULT now(),
    stopped_at        timestamptz
);
CREATE INDEX workers_alive_idx ON workers (last_heartbeat_at) WHERE stopped_at IS NULL;

-- Enqueue from any language or psql, inside the caller's own transaction:
--
--   BEGIN;
--   INSERT INTO orders …;
--   SELECT celeriac.enqueue('tasks.add', '[2, 3]');
--   COMMIT;   -- the task exists (and workers are woken) only if this commits
--
-- Workers are woken by NOTIFY on channel '<schema>.tasks' (payload: the queue),
-- which PostgreSQL delivers at commit and drops on rollback.
CREATE FUNCTION enqueue(
    task_name   text,
    args        jsonb       DEFAULT '[]',
    kwargs      jsonb       DEFAULT '{}',
    queue       text        DEFAULT NULL,
    priority    integer     DEFAULT NULL,
    countdown   interval    DEFAULT NULL,
    eta         timestamptz DEFAULT NULL,
    expires     timestamptz DEFAULT NULL,
    task_id     uuid        DEFAULT NULL,
    max_retries integer     DEFAULT NULL
) RETURNS uuid
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
DECLARE
    new_id   uuid        := coalesce(task_id, uuid_v7());
    target   text        := coalesce(queue, 'celery');
    start_at timestamptz := coalesce(eta, now()) + coalesce(countdown, interval '0');
BEGIN
    IF task_name IS NULL OR btrim(task_name) = '' THEN
        RAISE EXCEPTION 'celeriac.enqueue: task_name must not be empty' USING ERRCODE = '22023';
    END IF;
    IF args IS NULL OR jsonb_typeof(args) <> 'array' THEN
        RAISE EXCEPTION 'celeriac.enqueue: args must be a JSON array, got %', coalesce(jsonb_typeof(args), 'NULL')
            USING ERRCODE = '22023', HINT = 'pass positional arguments as an array, e.g. ''[2, 3]''';
    END IF;
    IF kwargs IS NULL OR jsonb_typeof(kwargs) <> 'object' THEN
        RAISE EXCEPTION 'celeriac.enqueue: kwargs must be a JSON object, got %', coalesce(jsonb_typeof(kwargs), 'NULL')
            USING ERRCODE = '22023', HINT = 'pass keyword arguments as an object, e.g. ''{"x": 2}''';
    END IF;
    IF target !~ '^[A-Za-z0-9_.:@-]{1,100}$' THEN
        RAISE EXCEPTION 'celeriac.enqueue: invalid queue name "%"', target
            USING ERRCODE = '22023', HINT = 'queue names use letters, digits and _ . : @ - (1 to 100 characters)';
    END IF;
    IF priority IS NOT NULL AND (priority < 0 OR priority > 255) THEN
        RAISE EXCEPTION 'celeriac.enqueue: priority must be between 0 and 255, got %', priority USING ERRCODE = '22023';
    END IF;

    INSERT INTO tasks (id, name, queue, priority, args, kwargs, run_at, expires_at, max_retries)
    VALUES (new_id, task_name, target, coalesce(priority, 0), args, kwargs, start_at, expires, max_retries);

    IF start_at <= now() THEN
        PERFORM pg_notify(current_schema() || '.tasks', target);
    END IF;
    RETURN new_id;
END;
$$;

COMMENT ON FUNCTION enqueue(text, jsonb, jsonb, text, integer, interval, timestamptz, timestamptz, uuid, integer) IS
    'Enqueue a task inside the caller''s transaction; returns its id. Rolled back with the transaction.';
