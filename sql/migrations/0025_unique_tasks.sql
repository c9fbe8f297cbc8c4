-- 0025_unique_tasks: unique tasks. A task sent with a unique key (options `unique_key`, or
-- `unique_by_args` for a key made of its name and arguments) exists at most once among the
-- unfinished tasks (queued, scheduled, started, retry) and, with `unique_for` seconds, for
-- that long after it finished. The key's holder is a row of `unique_keys`, whose primary key
-- is the constraint: a second producer's insert of the same key conflicts with it, waits for
-- the first to commit, and sees the row as it then is (ON CONFLICT), so eight producers
-- racing make one task. Options `unique_policy`: `reject` (the default) keeps the task that
-- holds the key; `replace` also gives it the new arguments and options while it has not
-- started. Either way the caller is given the holder's id (tasks.insert_unique).
CREATE TABLE unique_keys (
    key     text        PRIMARY KEY,
    -- The task holding the key.
    task_id uuid        NOT NULL,
    -- NULL while that task is unfinished; then the end of its uniqueness window (its
    -- finishing time when it has none), after which the key is free.
    until   timestamptz
);

-- The key of a task: the one given, else, with `unique_by_args`, its name and a digest of its
-- arguments (jsonb's text is canonical: the same arguments give the same key).
CREATE FUNCTION unique_task_key(name text, args jsonb, kwargs jsonb, options jsonb) RETURNS text
LANGUAGE sql IMMUTABLE
RETURN coalesce(options ->> 'unique_key',
                CASE WHEN options ->> 'unique_by_args' = 'true'
                     THEN name || '(' || md5(args::text || kwargs::text) || ')' END);

-- Before a keyed task is inserted: take the key, or leave the insert out (and, with `replace`,
-- update the holder while it waits).
CREATE FUNCTION unique_tasks_insert() RETURNS trigger
LANGUAGE plpgsql
-- With its owner's rights: a producer role needs no right on unique_keys.
SECURITY DEFINER
SET search_path FROM CURRENT
AS $$
DECLARE
    k      text := unique_task_key(NEW.name, NEW.args, NEW.kwargs, NEW.options);
    taken  uuid;
    holder uuid;
BEGIN
    IF k IS NULL THEN
        RETURN NEW;
    END IF;
    IF length(k) > 1000 THEN
        RAISE EXCEPTION 'celeriac: a unique key may take at most 1000 characters, this one takes %', length(k)
            USING ERRCODE = '22023', HINT = 'use unique_by_args, or a digest of what makes the task unique';
    END IF;
    IF coalesce(NEW.options ->> 'unique_policy', 'reject') NOT IN ('reject', 'replace') THEN
        RAISE EXCEPTION 'celeriac: unique_policy must be "reject" or "replace", got %', NEW.options -> 'unique_policy'
            USING ERRCODE = '22023';
    END IF;
    IF NEW.options ? 'unique_for' AND (jsonb_typeof(NEW.options -> 'unique_for') <> 'number'
                                       OR (NEW.options ->> 'unique_for')::float8 < 0) THEN
        RAISE EXCEPTION 'celeriac: unique_for must be a number of seconds, at least 0, got %', NEW.options -> 'unique_for'
            USING ERRCODE = '22023';
    END IF;
    NEW.options := NEW.options - 'unique_by_args' || jsonb_build_object('unique_key', k);
    INSERT INTO unique_keys AS u (key, task_id, until) VALUES (k, NEW.id, NULL)
    ON CONFLICT (key) DO UPDATE SET task_id = EXCLUDED.task_id, until = NULL
        WHERE u.until IS NOT NULL AND u.until <= now()
    RETURNING u.task_id INTO taken;
    IF taken IS NOT NULL THEN
        RETURN NEW;
    END IF;
    -- The row is locked now (ON CONFLICT locks it even when it does not update it).
    SELECT u.task_id INTO holder FROM unique_keys AS u WHERE u.key = k;
    -- Held by a task that is gone without releasing it (a TRUNCATE fires no trigger): take it.
    IF NOT EXISTS (SELECT 1 FROM unique_keys AS u WHERE u.key = k AND u.until IS NOT NULL)
       AND NOT EXISTS (SELECT 1 FROM tasks AS t WHERE t.id = holder) THEN
        UPDATE unique_keys SET task_id = NEW.id, until = NULL WHERE key = k;
        RETURN NEW;
    END IF;
    IF NEW.options ->> 'unique_policy' = 'replace' THEN
        UPDATE tasks AS t
        SET queue = NEW.queue, priority = NEW.priority, args = NEW.args, kwargs = NEW.kwargs, options = NEW.options,
            chain = NEW.chain, run_at = NEW.run_at, expires_at = NEW.expires_at, max_retries = NEW.max_retries
        WHERE t.id = holder AND t.state IN ('queued', 'retry');
    END IF;
    RETURN NULL;
END;
$$;

-- After a keyed task leaves `tasks` (finished, failed, revoked, purged, rescued as lost): its
-- key stays taken for its `unique_for` seconds, or is free at once.
CREATE FUNCTION unique_tasks_release() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path FROM CURRENT
AS $$
BEGIN
    UPDATE unique_keys
    SET until = now() + make_interval(secs => greatest(0, coalesce((OLD.options ->> 'unique_for')::float8, 0)))
    WHERE key = OLD.options ->> 'unique_key' AND task_id = OLD.id;
    RETURN NULL;
END;
$$;

CREATE TRIGGER tasks_unique_insert BEFORE INSERT ON tasks
    FOR EACH ROW WHEN (NEW.options ? 'unique_key' OR NEW.options ? 'unique_by_args')
    EXECUTE FUNCTION unique_tasks_insert();
CREATE TRIGGER tasks_unique_release AFTER DELETE ON tasks
    FOR EACH ROW WHEN (OLD.options ? 'unique_key')
    EXECUTE FUNCTION unique_tasks_release();

-- enqueue() gains `options` (unique_key, unique_policy, unique_for, acks_late, …): the old
-- signature goes, and repeatable/enqueue.sql makes the new one.
DROP FUNCTION enqueue(text, jsonb, jsonb, text, integer, interval, timestamptz, timestamptz, uuid, integer);
