-- enqueue(): enqueue from any language or psql, inside the caller's own transaction:
--
--   BEGIN;
--   INSERT INTO orders …;
--   SELECT celeriac.enqueue('tasks.add', '[2, 3]');
--   COMMIT;   -- the task exists (and workers are woken) only if this commits
--
-- Workers are woken by NOTIFY on channel '<schema>.tasks' (payload: the queue), which
-- PostgreSQL delivers at commit and drops on rollback. Bad arguments raise SQLSTATE 22023
-- with a message naming the problem; arguments larger than the workers' max_payload_bytes
-- (settings, 0012; 1 MiB when none is written) raise 54000. With no queue given, the task is
-- routed as a Swift producer routes it: task_queue() below. The queue rule is the queue_name domain's (0006): no
-- character outside the set, 1 to 100 of them (~3,200 instructions, where the anchored
-- pattern of 0001 cost ~40,000).
CREATE OR REPLACE FUNCTION enqueue(
    task_name   text,
    args        jsonb       DEFAULT '[]',
    kwargs      jsonb       DEFAULT '{}',
    queue       text        DEFAULT NULL,
    priority    integer     DEFAULT NULL,
    countdown   interval    DEFAULT NULL,
    eta         timestamptz DEFAULT NULL,
    expires     timestamptz DEFAULT NULL,
    task_id     uuid        DEFAULT NULL,
    max_retries integer     DEFAULT NULL,
    options     jsonb       DEFAULT '{}'
) RETURNS uuid
LANGUAGE plpgsql
-- With its owner's rights: the producer role (roles.sql) may call it with no right on the tables.
SECURITY DEFINER
SET search_path FROM CURRENT
AS $$
DECLARE
    new_id   uuid        := coalesce(task_id, uuid_v7());
    target   text        := coalesce(queue, task_queue(task_name));
    start_at timestamptz := coalesce(eta, now()) + coalesce(countdown, interval '0');
    size     bigint;
    limit_bytes bigint;
    inserted uuid;
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
    size := octet_length(args::text) + octet_length(kwargs::text);
    limit_bytes := coalesce((SELECT (value #>> '{}')::bigint FROM settings WHERE key = 'max_payload_bytes'), 1048576);
    IF size > limit_bytes THEN
        RAISE EXCEPTION 'celeriac.enqueue: the arguments of % take % bytes, more than the limit of % (max payload bytes)',
            task_name, size, limit_bytes
            USING ERRCODE = '54000', HINT = 'pass a reference to large data (a key, a URL) instead of the data';
    END IF;
    IF length(target) NOT BETWEEN 1 AND 100 OR target ~ '[^A-Za-z0-9_.:@-]' THEN
        RAISE EXCEPTION 'celeriac.enqueue: invalid queue name "%"', target
            USING ERRCODE = '22023', HINT = 'queue names use letters, digits and _ . : @ - (1 to 100 characters)';
    END IF;
    IF options IS NULL OR jsonb_typeof(options) <> 'object' THEN
        RAISE EXCEPTION 'celeriac.enqueue: options must be a JSON object, got %', coalesce(jsonb_typeof(options), 'NULL')
            USING ERRCODE = '22023', HINT = 'for example ''{"unique_key": "report:42"}''';
    END IF;
    IF priority IS NOT NULL AND (priority < 0 OR priority > 255) THEN
        RAISE EXCEPTION 'celeriac.enqueue: priority must be between 0 and 255, got %', priority USING ERRCODE = '22023';
    END IF;

    WITH task_input (id, name, queue, priority, args, kwargs, options, eta, countdown, expires_at, max_retries) AS (
        VALUES (new_id, task_name, target, coalesce(priority, 0)::smallint, args, kwargs, options, eta, countdown,
                expires, max_retries)
    )
    -- derive: tasks.insert_row
    INSERT INTO tasks (id, name, queue, priority, args, kwargs, options, run_at, expires_at, max_retries)
    SELECT i.id, i.name, i.queue, i.priority, i.args, i.kwargs, i.options,
           coalesce(i.eta, now()) + coalesce(i.countdown, interval '0'), i.expires_at, i.max_retries
    FROM task_input AS i
    -- end derive
    RETURNING id INTO inserted;

    -- A unique task whose key is held (0025) was not inserted: the holder's id is the answer.
    IF inserted IS NULL THEN
        RETURN (SELECT u.task_id FROM unique_keys AS u
                WHERE u.key = unique_task_key(task_name, args, kwargs, options));
    END IF;
    IF start_at <= now() THEN
        PERFORM pg_notify(topic_channel('tasks'), target);
    END IF;
    RETURN new_id;
END;
$$;

COMMENT ON FUNCTION enqueue(text, jsonb, jsonb, text, integer, interval, timestamptz, timestamptz, uuid, integer, jsonb) IS
    'Enqueue a task inside the caller''s transaction; returns its id. Rolled back with the transaction.';

-- task_queue(task_name): the queue a task goes to when the caller names none, as Swift's
-- Configuration.queue(forTask:) decides it from the workers' settings: an exact route first,
-- then the first matching `*` pattern in lexical order, then the default queue ('celery').
CREATE OR REPLACE FUNCTION task_queue(task_name text) RETURNS text
LANGUAGE sql STABLE
SET search_path FROM CURRENT
AS $$
    SELECT coalesce(
        (SELECT value ->> task_name FROM settings WHERE key = 'routes'),
        (SELECT r.value
         FROM settings AS s, jsonb_each_text(s.value) AS r
         WHERE s.key = 'routes' AND position('*' IN r.key) > 0
           AND task_name LIKE replace(replace(replace(replace(r.key, '\', '\\'), '%', '\%'), '_', '\_'), '*', '%')
         ORDER BY r.key COLLATE "C"
         LIMIT 1),
        (SELECT value #>> '{}' FROM settings WHERE key = 'default_queue'),
        'celery')
$$;
