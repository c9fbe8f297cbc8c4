-- Control functions: what the CLI and the dashboard call; anyone allowed with SQL can too.
-- Repeatable files are applied in name order: functions here that call ones of later files
-- (topic_channel) are plpgsql, resolved when called.
--
-- They run with their owner's rights (SECURITY DEFINER): the admin role (roles.sql) may call
-- them without any right on the tables. Each call is recorded in audit_log (0019) with who
-- made it: control_actor().

-- control_actor(): who is acting: what the caller set in `celeriac_audit.actor` (the dashboard's
-- signed-in user), else the session's database user.
CREATE OR REPLACE FUNCTION control_actor() RETURNS text
LANGUAGE sql STABLE
RETURN coalesce(nullif(current_setting('celeriac_audit.actor', true), ''), session_user::text);

-- audit(action, target, arguments, outcome): records one control action.
CREATE OR REPLACE FUNCTION audit(action text, target text, arguments jsonb, outcome jsonb) RETURNS void
LANGUAGE sql
SET search_path FROM CURRENT
AS $$
    INSERT INTO audit_log (actor, role, action, target, arguments, outcome)
    VALUES (control_actor(), session_user, action, target, coalesce(arguments, '{}'), outcome)
$$;

-- revoke(ids, terminate, reason): Celery's revoke, made durable. Waiting tasks revoked are
-- recorded as a `revoked` event (0016). For each id, one row:
--   revoked           it was waiting (queued, scheduled or awaiting retry): it will never
--                     start, it ends REVOKED with `reason`, and so does the rest of its chain;
--   revoking          it is running: its worker is told on the control topic (and finds the
--                     revocation again at its next heartbeat) and stops it: cooperatively, or
--                     by killing its process in the prefork pool; it then ends REVOKED;
--   already finished  it has a final state: nothing changes;
--   unknown           no such task: nothing changes.
-- A revoke racing with a claim waits for the claim's row lock and then sees the task running:
-- a task is never both started and revoked.
CREATE OR REPLACE FUNCTION revoke(ids uuid[], terminate boolean DEFAULT false, reason text DEFAULT 'revoked')
RETURNS TABLE (task_id uuid, outcome text)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path FROM CURRENT
AS $$
#variable_conflict use_column
DECLARE
    answer record;
    tally  jsonb := '{}';
BEGIN
    IF ids IS NULL OR cardinality(ids) = 0 THEN
        RAISE EXCEPTION 'celeriac.revoke: no task ids given' USING ERRCODE = '22023';
    END IF;
    FOR answer IN SELECT * FROM revoke_tasks(ids, terminate, reason) LOOP
        task_id := answer.task_id;
        outcome := answer.outcome;
        tally := jsonb_set(tally, ARRAY[outcome], to_jsonb(coalesce((tally ->> outcome)::int, 0) + 1));
        RETURN NEXT;
    END LOOP;
    PERFORM audit('revoke', NULL, jsonb_build_object('ids', ids, 'terminate', terminate, 'reason', reason), tally);
END;
$$;

-- revoke_tasks(ids, terminate, reason): revoke()'s work, without the audit (internal).

CREATE OR REPLACE FUNCTION revoke_tasks(ids uuid[], terminate boolean, reason text)
RETURNS TABLE (task_id uuid, outcome text)
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
#variable_conflict use_column
DECLARE
    handled uuid[] := '{}';
BEGIN

    RETURN QUERY SELECT r.id, 'already finished'::text FROM results AS r WHERE r.id = ANY (ids);
    handled := handled || ARRAY(SELECT r.id FROM results AS r WHERE r.id = ANY (ids));

    RETURN QUERY
    WITH gone AS (
        DELETE FROM tasks AS t
        WHERE t.id = ANY (ids) AND t.state IN ('queued', 'retry') AND NOT (t.id = ANY (handled))
        RETURNING t.id, t.name, t.queue, t.args, t.kwargs, t.options, t.chain, t.attempt, t.retries, t.parent_id,
                  t.root_id, t.created_at
    ),
    result_input (id, name, queue, state, args, kwargs, error, attempt, retries, parent_id, root_id, created_at,
                  group_id, callbacks) AS (
        SELECT g.id, g.name, g.queue, 'revoked', g.args, g.kwargs,
               jsonb_build_object('type', 'TaskRevokedError', 'message', reason), g.attempt, g.retries, g.parent_id,
               g.root_id, g.created_at, option_group(g.options), option_callbacks(g.options)
        FROM gone AS g
        UNION ALL
        SELECT a.id, a.name, a.queue, 'revoked', a.args, a.kwargs,
               jsonb_build_object('type', 'TaskRevokedError', 'message', reason), 0, 0, a.parent_id, a.root_id, now(),
               a.group_id, a.callbacks
        FROM gone AS g
        CROSS JOIN LATERAL aborted_chain_steps(g.id, g.name, g.queue, g.root_id, g.chain, NULL) AS a
    ),
    stored AS (
        -- derive: results.insert_row
        INSERT INTO results (id, name, queue, state, args, kwargs, error, attempt, retries, parent_id, root_id,
                             created_at, group_id, callbacks)
        SELECT r.id, r.name, r.queue, r.state, r.args, r.kwargs, r.error, r.attempt, r.retries, r.parent_id, r.root_id,
               r.created_at, r.group_id, r.callbacks
        FROM result_input AS r
        -- end derive
        ON CONFLICT (id) DO NOTHING
    ),
    logged AS (
        INSERT INTO events (kind, task_ids, names, queues, attempts, errors, detail)
        SELECT 'revoked', array_agg(g.id), array_agg(g.name), array_agg(g.queue), array_agg(g.attempt),
               array_agg(jsonb_build_object('type', 'TaskRevokedError', 'message', reason)),
               jsonb_build_object('by', current_user::text)
        FROM gone AS g
        HAVING count(*) > 0
        RETURNING 1
    ),
    announced AS (
        SELECT pg_notify(topic_channel('events'), '') FROM logged
    )
    SELECT g.id, 'revoked'::text FROM gone AS g WHERE (SELECT count(*) FROM announced) >= 0;

    RETURN QUERY
    WITH running AS (
        SELECT t.id, t.owner FROM tasks AS t WHERE t.id = ANY (ids) AND t.state = 'started' FOR UPDATE
    ),
    recorded AS (
        INSERT INTO revocations AS v (task_id, reason, terminate, revoked_by)
        SELECT r.id, reason, terminate, control_actor() FROM running AS r
        ON CONFLICT (task_id) DO UPDATE SET reason = EXCLUDED.reason, terminate = v.terminate OR EXCLUDED.terminate
    ),
    told AS (
        SELECT pg_notify(topic_channel('control'),
                         r.owner || ' ' || jsonb_build_object('revoke', array_agg(r.id), 'terminate', terminate,
                                                               'reason', reason)::text)
        FROM running AS r GROUP BY r.owner
    )
    SELECT r.id, 'revoking'::text FROM running AS r WHERE (SELECT count(*) FROM told) >= 0;

    RETURN QUERY
    SELECT i, 'unknown'::text FROM unnest(ids) AS i
    WHERE NOT EXISTS (SELECT 1 FROM results AS r WHERE r.id = i)
      AND NOT EXISTS (SELECT 1 FROM tasks AS t WHERE t.id = i);
END;
$$;

-- retry(ids): run failed or revoked tasks again, with the same ids, from the queue. Their
-- final rows move to task_attempts (0014), so the history keeps them. For each id, one row:
--   retried      it was failed or revoked: it is queued again (its queue is woken);
--   not failed   it succeeded, or has not finished: nothing changes;
--   unknown      no such task: nothing changes.
-- The rest of a chain that the failure aborted is not re-created: retry its steps too. A retried
-- task comes back without its group and callbacks: a chord already counted its failure.
CREATE OR REPLACE FUNCTION retry(ids uuid[])
RETURNS TABLE (task_id uuid, outcome text)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path FROM CURRENT
AS $$
#variable_conflict use_column
DECLARE
    handled uuid[] := '{}';
    retried uuid;
    answer  record;
    tally   jsonb := '{}';
BEGIN
    IF ids IS NULL OR cardinality(ids) = 0 THEN
        RAISE EXCEPTION 'celeriac.retry: no task ids given' USING ERRCODE = '22023';
    END IF;

    FOR retried IN
        WITH old AS (
            DELETE FROM results AS r WHERE r.id = ANY (ids) AND r.state IN ('failed', 'revoked') RETURNING r.*
        ),
        archived AS (
            INSERT INTO task_attempts (id, name, queue, state, args, kwargs, result, error, attempt, retries, worker,
                                       parent_id, root_id, created_at, started_at, finished_at, runtime)
            SELECT o.id, o.name, o.queue, o.state, o.args, o.kwargs, o.result, o.error, o.attempt, o.retries, o.worker,
                   o.parent_id, o.root_id, o.created_at, o.started_at, o.finished_at, o.runtime
            FROM old AS o
        ),
        task_input (id, name, queue, args, kwargs, parent_id, root_id) AS (
            SELECT o.id, o.name, o.queue, o.args, o.kwargs, o.parent_id, o.root_id FROM old AS o
        ),
        requeued AS (
            -- derive: tasks.insert_row
            INSERT INTO tasks (id, name, queue, args, kwargs, parent_id, root_id)
            SELECT i.id, i.name, i.queue, i.args, i.kwargs, i.parent_id, i.root_id
            FROM task_input AS i
            -- end derive
            RETURNING id, queue
        ),
        woken AS (
            SELECT pg_notify(topic_channel('tasks'), q.queue) FROM (SELECT DISTINCT queue FROM requeued) AS q
        )
        SELECT r.id FROM requeued AS r WHERE (SELECT count(*) FROM woken) >= 0
    LOOP
        handled := handled || retried;
        task_id := retried;
        outcome := 'retried';
        RETURN NEXT;
    END LOOP;

    FOR answer IN
        SELECT i AS id, CASE WHEN EXISTS (SELECT 1 FROM results AS r WHERE r.id = i)
                               OR EXISTS (SELECT 1 FROM tasks AS t WHERE t.id = i) THEN 'not failed'
                             ELSE 'unknown' END AS outcome
        FROM unnest(ids) AS i
        WHERE NOT (i = ANY (handled))
    LOOP
        task_id := answer.id;
        outcome := answer.outcome;
        tally := jsonb_set(tally, ARRAY[outcome], to_jsonb(coalesce((tally ->> outcome)::int, 0) + 1));
        RETURN NEXT;
    END LOOP;
    IF cardinality(handled) > 0 THEN
        tally := tally || jsonb_build_object('retried', cardinality(handled));
    END IF;
    PERFORM audit('retry', NULL, jsonb_build_object('ids', ids), tally);
END;
$$;

-- pause_queue(queue): workers take nothing from `queue` from their next claim on; tasks keep
-- arriving and wait. Returns false if it was already paused.
CREATE OR REPLACE FUNCTION pause_queue(queue text) RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path FROM CURRENT
AS $$
DECLARE
    paused boolean;
BEGIN
    INSERT INTO paused_queues (queue, paused_by) VALUES (pause_queue.queue, control_actor()) ON CONFLICT DO NOTHING;
    paused := FOUND;
    PERFORM audit('pause_queue', pause_queue.queue, '{}', jsonb_build_object('paused', paused));
    RETURN paused;
END;
$$;

-- resume_queue(queue): workers take from `queue` again, and are woken at once. Returns false
-- if it was not paused.
CREATE OR REPLACE FUNCTION resume_queue(queue text) RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path FROM CURRENT
AS $$
BEGIN
    DELETE FROM paused_queues AS p WHERE p.queue = resume_queue.queue;
    IF NOT FOUND THEN
        PERFORM audit('resume_queue', resume_queue.queue, '{}', jsonb_build_object('resumed', false));
        RETURN false;
    END IF;
    PERFORM pg_notify(topic_channel('tasks'), resume_queue.queue);
    PERFORM audit('resume_queue', resume_queue.queue, '{}', jsonb_build_object('resumed', true));
    RETURN true;
END;
$$;

-- purge(queue): delete the waiting tasks (queued, scheduled or awaiting retry) of one queue, or
-- of every queue when NULL; running ones are not touched. Each purged task, and every step of
-- its chain still to come, ends REVOKED with the reason "purged", so whoever waits on one of
-- them gets an answer instead of waiting forever. Returns how many were purged.
CREATE OR REPLACE FUNCTION purge(queue text DEFAULT NULL) RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path FROM CURRENT
AS $$
DECLARE
    purged integer;
BEGIN
    WITH gone AS (
        DELETE FROM tasks AS t
        WHERE t.state IN ('queued', 'retry') AND (purge.queue IS NULL OR t.queue = purge.queue)
        RETURNING t.id, t.name, t.queue, t.args, t.kwargs, t.options, t.chain, t.attempt, t.retries, t.parent_id,
                  t.root_id, t.created_at
    ),
    result_input (id, name, queue, state, args, kwargs, error, attempt, retries, parent_id, root_id, created_at,
                  group_id, callbacks) AS (
        SELECT g.id, g.name, g.queue, 'revoked', g.args, g.kwargs,
               jsonb_build_object('type', 'TaskRevokedError', 'message', 'purged'), g.attempt, g.retries, g.parent_id,
               g.root_id, g.created_at, option_group(g.options), option_callbacks(g.options)
        FROM gone AS g
        UNION ALL
        SELECT a.id, a.name, a.queue, 'revoked', a.args, a.kwargs,
               jsonb_build_object('type', 'TaskRevokedError', 'message', 'purged'), 0, 0, a.parent_id, a.root_id, now(),
               a.group_id, a.callbacks
        FROM gone AS g
        CROSS JOIN LATERAL aborted_chain_steps(g.id, g.name, g.queue, g.root_id, g.chain, NULL) AS a
    ),
    stored AS (
        -- derive: results.insert_row
        INSERT INTO results (id, name, queue, state, args, kwargs, error, attempt, retries, parent_id, root_id,
                             created_at, group_id, callbacks)
        SELECT r.id, r.name, r.queue, r.state, r.args, r.kwargs, r.error, r.attempt, r.retries, r.parent_id, r.root_id,
               r.created_at, r.group_id, r.callbacks
        FROM result_input AS r
        -- end derive
        ON CONFLICT (id) DO NOTHING
    )
    SELECT count(*) INTO purged FROM gone;
    PERFORM audit('purge', purge.queue, '{}', jsonb_build_object('purged', purged));
    RETURN purged;
END;
$$;

-- control(destination, command, arguments, ttl): a control message for one worker (its node
-- name, e.g. celeriac@host, or its instance id) or every worker ('*'), delivered at once on the
-- control topic and kept in control_messages (0019) until it expires, so a live worker that
-- missed the notification still acts on it. Commands and their arguments:
--   shutdown                          a warm shutdown (finish running tasks, then exit)
--   pool_grow {"n": 1}                run n more tasks at once
--   pool_shrink {"n": 1}              run n fewer (never below one)
--   add_consumer {"queue": "name"}    start consuming a queue
--   cancel_consumer {"queue": "name"} stop consuming a queue
-- Returns the message id.
CREATE OR REPLACE FUNCTION control(destination text, command text, arguments jsonb DEFAULT '{}',
                                   ttl interval DEFAULT interval '5 minutes')
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path FROM CURRENT
AS $$
DECLARE
    message_id bigint;
    args       jsonb := coalesce(arguments, '{}');
BEGIN
    IF destination IS NULL OR btrim(destination) = '' THEN
        RAISE EXCEPTION 'celeriac.control: destination must be a worker''s node name or instance id, or *'
            USING ERRCODE = '22023';
    END IF;
    IF command IS NULL OR command NOT IN ('shutdown', 'pool_grow', 'pool_shrink', 'add_consumer', 'cancel_consumer') THEN
        RAISE EXCEPTION 'celeriac.control: unknown command "%"', command
            USING ERRCODE = '22023', HINT = 'use shutdown, pool_grow, pool_shrink, add_consumer or cancel_consumer';
    END IF;
    IF jsonb_typeof(args) <> 'object' THEN
        RAISE EXCEPTION 'celeriac.control: arguments must be a JSON object' USING ERRCODE = '22023';
    END IF;
    IF command IN ('pool_grow', 'pool_shrink') THEN
        IF args ? 'n' AND (jsonb_typeof(args -> 'n') <> 'number' OR (args ->> 'n')::numeric < 1
                          OR (args ->> 'n')::numeric <> floor((args ->> 'n')::numeric)) THEN
            RAISE EXCEPTION 'celeriac.control: % takes {"n": a whole number of at least 1}', command
                USING ERRCODE = '22023';
        END IF;
        args := jsonb_build_object('n', coalesce((args ->> 'n')::int, 1));
    END IF;
    IF command IN ('add_consumer', 'cancel_consumer') THEN
        IF coalesce(args ->> 'queue', '') !~ '^[A-Za-z0-9_.:@-]{1,100}$' THEN
            RAISE EXCEPTION 'celeriac.control: % takes {"queue": a queue name}', command
                USING ERRCODE = '22023', HINT = 'queue names use letters, digits and _ . : @ - (1 to 100 characters)';
        END IF;
    END IF;
    IF ttl IS NULL OR ttl <= interval '0' THEN
        RAISE EXCEPTION 'celeriac.control: ttl must be positive' USING ERRCODE = '22023';
    END IF;
    INSERT INTO control_messages (destination, command, arguments, sent_by, expires_at)
    VALUES (destination, command, args, control_actor(), now() + ttl)
    RETURNING id INTO message_id;
    PERFORM pg_notify(topic_channel('control'),
                      destination || ' ' || jsonb_build_object('id', message_id, 'command', command, 'arguments', args)::text);
    PERFORM audit('control', destination, jsonb_build_object('command', command, 'arguments', args, 'ttl', ttl::text),
                  jsonb_build_object('id', message_id));
    RETURN message_id;
END;
$$;

-- enable_schedule(name, enabled): turns a periodic task on or off (beat picks it up at once,
-- through the trigger on periodic_tasks). Returns false if there is no such schedule.
CREATE OR REPLACE FUNCTION enable_schedule(name text, enabled boolean) RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path FROM CURRENT
AS $$
DECLARE
    found_it boolean;
BEGIN
    UPDATE periodic_tasks AS p SET enabled = enable_schedule.enabled WHERE p.name = enable_schedule.name;
    found_it := FOUND;
    PERFORM audit(CASE WHEN enable_schedule.enabled THEN 'enable_schedule' ELSE 'disable_schedule' END,
                  enable_schedule.name, '{}', jsonb_build_object('found', found_it));
    RETURN found_it;
END;
$$;

-- run_schedule_now(name): enqueues a periodic task's task once, now (not a tick: the schedule
-- is not advanced). Returns the task id, NULL if there is no such schedule.
CREATE OR REPLACE FUNCTION run_schedule_now(name text) RETURNS uuid
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path FROM CURRENT
AS $$
DECLARE
    schedule periodic_tasks;
    task_id  uuid;
BEGIN
    SELECT * INTO schedule FROM periodic_tasks AS p WHERE p.name = run_schedule_now.name;
    IF FOUND THEN
        task_id := enqueue(schedule.task, schedule.args, schedule.kwargs, schedule.queue, schedule.priority);
    END IF;
    PERFORM audit('run_schedule_now', run_schedule_now.name, '{}', jsonb_build_object('task_id', task_id));
    RETURN task_id;
END;
$$;
