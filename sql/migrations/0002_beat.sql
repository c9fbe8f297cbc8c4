-- 0002_beat: periodic tasks, their ticks, and leader leases for maintenance.

-- The schedule. Edit it with SQL, `celeriac schedule …`, or `app.conf.beatSchedule`.
--
--   INSERT INTO celeriac.periodic_tasks (name, task, args, cron, time_zone)
--   VALUES ('nightly-report', 'tasks.report', '["daily"]', '0 3 * * *', 'Europe/Moscow');
--   UPDATE celeriac.periodic_tasks SET enabled = false WHERE name = 'nightly-report';
--
-- Exactly one of `cron` (5 fields or an @alias) and `interval_seconds` is set. Interval
-- ticks are anchored at `created_at`, so every beat process computes the same ticks.
CREATE TABLE periodic_tasks (
    name             text        PRIMARY KEY CHECK (name <> '' AND length(name) <= 200),
    task             text        NOT NULL CHECK (task <> '' AND length(task) <= 200),
    args             jsonb       NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(args) = 'array'),
    kwargs           jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(kwargs) = 'object'),
    queue            text        CHECK (queue ~ '^[A-Za-z0-9_.:@-]{1,100}$'),
    priority         smallint    CHECK (priority BETWEEN 0 AND 255),
    cron             text        CHECK (cron ~ '^\s*(@[a-z]+|\S+\s+\S+\s+\S+\s+\S+\s+\S+)\s*$'),
    interval_seconds double precision CHECK (interval_seconds BETWEEN 0.001 AND 1e9),
    time_zone        text        NOT NULL DEFAULT 'UTC',
    enabled          boolean     NOT NULL DEFAULT true,
    misfire_policy   text        NOT NULL DEFAULT 'once' CHECK (misfire_policy IN ('skip', 'once', 'all')),
    last_run_at      timestamptz,                  -- the latest tick enqueued
    next_run_at      timestamptz,                  -- the next tick, as computed by beat
    total_run_count  bigint      NOT NULL DEFAULT 0,
    last_error       text,                         -- why beat cannot use this row, if it cannot
    source           text        NOT NULL DEFAULT 'sql' CHECK (source IN ('code', 'sql', 'cli')),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK ((cron IS NULL) <> (interval_seconds IS NULL)),
    -- An unknown zone fails here with PostgreSQL's own message: time zone "…" not recognized.
    CHECK (timestamptz '2000-01-01 00:00:00+00' AT TIME ZONE time_zone IS NOT NULL)
);

-- One row per tick ever enqueued: the primary key is what makes each tick run exactly
-- once however many beat processes compute it.
CREATE TABLE periodic_ticks (
    schedule    text        NOT NULL REFERENCES periodic_tasks (name) ON DELETE CASCADE,
    tick        timestamptz NOT NULL,
    task_id     uuid        NOT NULL,
    enqueued_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (schedule, tick)
);
CREATE INDEX periodic_ticks_enqueued_at_idx ON periodic_ticks (enqueued_at);

-- A definition edited by hand (anything but beat's own bookkeeping) stops being
-- overwritten by the code's schedule at start-up: the sync sets celeriac.sync = 'on'.
CREATE FUNCTION periodic_tasks_touch() RETURNS trigger
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
BEGIN
    NEW.updated_at := now();
    IF TG_OP = 'UPDATE' AND coalesce(current_setting('celeriac.sync', true), '') <> 'on'
       AND NEW.source = 'code' AND OLD.source = 'code'
       AND (NEW.task, NEW.args, NEW.kwargs, NEW.queue, NEW.priority, NEW.cron, NEW.interval_seconds,
            NEW.time_zone, NEW.enabled, NEW.misfire_policy)
           IS DISTINCT FROM
           (OLD.task, OLD.args, OLD.kwargs, OLD.queue, OLD.priority, OLD.cron, OLD.interval_seconds,
            OLD.time_zone, OLD.enabled, OLD.misfire_policy)
    THEN
        NEW.source := 'sql';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER periodic_tasks_touch BEFORE INSERT OR UPDATE ON periodic_tasks
    FOR EACH ROW EXECUTE FUNCTION periodic_tasks_touch();

-- Wake beat processes when a definition changes (not on beat's own bookkeeping).
CREATE FUNCTION periodic_tasks_changed() RETURNS trigger
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
BEGIN
    PERFORM pg_notify(current_schema() || '.schedules', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER periodic_tasks_changed_ins_del AFTER INSERT OR DELETE ON periodic_tasks
    FOR EACH STATEMENT EXECUTE FUNCTION periodic_tasks_changed();
CREATE TRIGGER periodic_tasks_changed_upd
    AFTER UPDATE OF task, args, kwargs, queue, priority, cron, interval_seconds, time_zone, enabled, misfire_policy
    ON periodic_tasks
    FOR EACH STATEMENT EXECUTE FUNCTION periodic_tasks_changed();

-- Leader leases: one holder at a time per role (e.g. 'maintenance'), expiring on the
-- database clock unless renewed.
CREATE TABLE leaders (
    role       text        PRIMARY KEY,
    holder     text        NOT NULL,
    elected_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
