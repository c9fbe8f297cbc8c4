-- 0025_unique_tasks: unique tasks. A task sent with a unique key (options `unique_key`, or
-- `unique_by_args` for a key made of its name and arguments) exists at most once among the
-- unfinished tasks (queued, scheduled, started, retry) and, with `unique_for` seconds, for
-- that long after it finished. The key's holder is a row of `unique_keys`, whose primary key
-- is the constraint: a second producer's insert of the same key conflicts with it and waits
-- for the first to commit, so producers racing make one task. Options `unique_policy`:
-- `reject` (the default) keeps the task that holds the key; `replace` also gives it the new
-- arguments and options while it has not started. Either way the caller is given the holder's
-- id (unique_keys.holders, enqueue()).
--
-- Nothing happens when a task finishes: whether the holder still holds its key is looked up
-- when another task wants it (unique_key_held). The queue's claim and completion statements
-- pay nothing for unique tasks, and a task removed by any path (TRUNCATE included) frees its
-- key. The window reads the holder's results row, so it lasts at most result_expires, and a
-- task with ignore_result has none.
CREATE TABLE unique_keys (
    key            text             PRIMARY KEY,
    -- The task holding the key, or that last held it.
    task_id        uuid             NOT NULL,
    -- How long the key stays held after that task finished (unique_for).
    window_seconds double precision NOT NULL DEFAULT 0,
    taken_at       timestamptz      NOT NULL DEFAULT now()
);

-- The key of a task: the one given, else, with `unique_by_args`, its name and a digest of its
-- arguments (jsonb's text is canonical: the same arguments give the same key).
CREATE FUNCTION unique_task_key(name text, args jsonb, kwargs jsonb, options jsonb) RETURNS text
LANGUAGE sql IMMUTABLE
RETURN coalesce(options ->> 'unique_key',
                CASE WHEN options ->> 'unique_by_args' = 'true'
                     THEN name || '(' || md5(args::text || kwargs::text) || ')' END);

-- Whether a task still holds its key: it is unfinished, or finished less than
-- `window_seconds` ago.
CREATE FUNCTION unique_key_held(holder uuid, window_seconds double precision) RETURNS boolean
LANGUAGE sql STABLE
SET search_path FROM CURRENT
RETURN EXISTS (SELECT 1 FROM tasks AS t WHERE t.id = holder)
    OR (window_seconds > 0
        AND EXISTS (SELECT 1 FROM results AS r
                    WHERE r.id = holder AND r.finished_at > now() - make_interval(secs => window_seconds)));

-- Before a keyed task is inserted: take the key, or leave the insert out (and, with `replace`,
-- update the holder while it waits). Each statement of a PL/pgSQL function sees what was
-- committed before it began: after waiting for the row lock, the holder's state is current.
CREATE FUNCTION unique_tasks_insert() RETURNS trigger
LANGUAGE plpgsql
-- With its owner's rights: a producer role needs no right on unique_keys.
SECURITY DEFINER
SET search_path FROM CURRENT
AS $$
DECLARE
    k       text := unique_task_key(NEW.name, NEW.args, NEW.kwargs, NEW.options);
    held    double precision := 0;
    holder  uuid;
    keep_for double precision;
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
    keep_for := coalesce((NEW.options ->> 'unique_for')::float8, 0);
    NEW.options := NEW.options - 'unique_by_args' || jsonb_build_object('unique_key', k);
    LOOP
        INSERT INTO unique_keys (key, task_id, window_seconds) VALUES (k, NEW.id, keep_for)
        ON CONFLICT (key) DO NOTHING
        RETURNING task_id INTO holder;
        IF FOUND THEN
            RETURN NEW;
        END IF;
        -- Waits for a producer that took it and has not committed yet.
        SELECT u.task_id, u.window_seconds INTO holder, held FROM unique_keys AS u WHERE u.key = k FOR UPDATE;
        EXIT WHEN FOUND;
        -- Pruned in between: take it again.
    END LOOP;
    IF unique_key_held(holder, held) THEN
        IF NEW.options ->> 'unique_policy' = 'replace' THEN
            UPDATE tasks AS t
            SET queue = NEW.queue, priority = NEW.priority, args = NEW.args, kwargs = NEW.kwargs,
                options = NEW.options, chain = NEW.chain, run_at = NEW.run_at, expires_at = NEW.expires_at,
                max_retries = NEW.max_retries
            WHERE t.id = holder AND t.state IN ('queued', 'retry');
        END IF;
        RETURN NULL;
    END IF;
    UPDATE unique_keys SET task_id = NEW.id, window_seconds = keep_for, taken_at = now() WHERE key = k;
    RETURN NEW;
END;
$$;

CREATE TRIGGER tasks_unique_insert BEFORE INSERT ON tasks
    FOR EACH ROW WHEN (NEW.options ? 'unique_key' OR NEW.options ? 'unique_by_args')
    EXECUTE FUNCTION unique_tasks_insert();

-- Forgets up to `batch` keys whose task no longer holds them (maintenance). Rows a producer is
-- taking are locked and skipped; the holders of the rows locked here are checked by a later
-- statement, which sees every commit before it.
CREATE FUNCTION prune_unique_keys(batch integer) RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path FROM CURRENT
AS $$
DECLARE
    candidates text[];
    pruned     integer;
BEGIN
    SELECT array_agg(c.key) INTO candidates FROM (
        SELECT u.key FROM unique_keys AS u
        WHERE u.taken_at < now() - interval '1 second'
          AND NOT EXISTS (SELECT 1 FROM tasks AS t WHERE t.id = u.task_id)
        LIMIT batch
        FOR UPDATE OF u SKIP LOCKED
    ) AS c;
    DELETE FROM unique_keys AS u
    WHERE u.key = ANY (coalesce(candidates, '{}')) AND NOT unique_key_held(u.task_id, u.window_seconds);
    GET DIAGNOSTICS pruned = ROW_COUNT;
    RETURN pruned;
END;
$$;

-- enqueue() gains `options` (unique_key, unique_policy, unique_for, acks_late, …): the old
-- signature goes, and repeatable/enqueue.sql makes the new one.
DROP FUNCTION enqueue(text, jsonb, jsonb, text, integer, interval, timestamptz, timestamptz, uuid, integer);
