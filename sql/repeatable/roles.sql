-- Least-privilege roles: grant_roles(producer, worker, monitor, admin) creates the four roles
-- if they do not exist (the caller needs CREATEROLE; a DBA may create them beforehand instead)
-- and grants each what it needs in this schema, and nothing else. `celeriac migrate --roles`
-- calls it (default names <schema>_producer, _worker, _monitor, _admin), records the names in
-- settings ('roles'), and every later migrate grants them again, so new objects are covered.
-- The roles cannot log in: grant one to a login role (GRANT celeriac_producer TO webapp).
--
--   producer  enqueue() and task_result(); for the Swift client's own statements, INSERT on
--             tasks, SELECT on tasks and results, and workers' id, listening, queues and
--             track_started (whom to wake, what a running task reads as). It cannot
--             change or delete a task, read events or the views, or call a control function.
--   worker    what workers and beat do: read and write the queue, results, events, counters
--             and their registry. No control function, no audit log.
--   monitor   SELECT on the views (views.sql: the monitoring views, unfinished_tasks,
--             finished_tasks, registered_tasks, revoked_tasks; task_events) and on the
--             counters (task_stats, for the dashboard's /metrics), task_history(),
--             task_name_stats() and task_list(): all `celeriac inspect` and `queues` show. No table, no
--             control function.
--   admin     the monitor's rights, the control functions (revoke, retry, purge, pause_queue,
--             resume_queue, control) and the audit log.
--
-- Every function of the schema loses PUBLIC's EXECUTE: only the grants below remain. The
-- control functions, enqueue(), task_result(), task_history() and task_name_stats() run
-- with their owner's rights (SECURITY DEFINER), so the roles need no right on the tables.
CREATE OR REPLACE FUNCTION grant_roles(producer text, worker text, monitor text, admin text) RETURNS void
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
DECLARE
    s    text := current_schema();
    role text;
    enqueue_signature text := 'enqueue(text, jsonb, jsonb, text, integer, interval, timestamptz, timestamptz, uuid, integer, jsonb)';
    control_functions text := format(
        '%1$I.revoke(uuid[], boolean, text), %1$I.retry(uuid[]), %1$I.purge(text), %1$I.pause_queue(text), '
        '%1$I.resume_queue(text), %1$I.control(text, text, jsonb, interval), %1$I.enable_schedule(text, boolean), '
        '%1$I.run_schedule_now(text)', s);
BEGIN
    IF producer IS NULL OR worker IS NULL OR monitor IS NULL OR admin IS NULL
       OR cardinality(ARRAY(SELECT DISTINCT unnest(ARRAY[producer, worker, monitor, admin]))) <> 4 THEN
        RAISE EXCEPTION 'celeriac.grant_roles: four distinct role names are needed' USING ERRCODE = '22023';
    END IF;
    FOREACH role IN ARRAY ARRAY[producer, worker, monitor, admin] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = role) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN', role);
        END IF;
        EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', s, role);
    END LOOP;
    EXECUTE format('REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA %I FROM PUBLIC', s);

    -- producer
    EXECUTE format('GRANT EXECUTE ON FUNCTION %I.%s, %I.task_result(uuid) TO %I', s, enqueue_signature, s, producer);
    EXECUTE format('GRANT INSERT ON %I.tasks TO %I', s, producer);
    EXECUTE format('GRANT SELECT ON %I.tasks, %I.results TO %I', s, s, producer);
    EXECUTE format('GRANT SELECT (id, listening, queues, track_started) ON %I.workers TO %I', s, producer);
    -- The holder of a unique task's key (0025), which a rejected insert answers with.
    EXECUTE format('GRANT SELECT ON %I.unique_keys TO %I', s, producer);
    -- Groups (0026): saved with their members, restored by id.
    EXECUTE format('GRANT SELECT, INSERT ON %I.groups TO %I', s, producer);
    EXECUTE format('GRANT EXECUTE ON FUNCTION %I.unique_task_key(text, jsonb, jsonb, jsonb) TO %I', s, producer);

    -- worker (rows reach the partitions of results and events through the parents, whose rights
    -- count; the default partitions are also pruned directly)
    EXECUTE format(
        'GRANT SELECT, INSERT, UPDATE, DELETE ON %1$I.tasks, %1$I.results, %1$I.workers, %1$I.leaders, %1$I.events, '
        '%1$I.task_stats, %1$I.revocations, %1$I.task_types, %1$I.settings, %1$I.periodic_tasks, %1$I.periodic_ticks, '
        '%1$I.task_attempts, %1$I.paused_queues, %1$I.results_default, %1$I.events_default TO %2$I', s, worker);
    EXECUTE format('GRANT SELECT, DELETE ON %1$I.control_messages, %1$I.unique_keys, %1$I.groups TO %2$I', s, worker);
    -- A chain's next step may be a group (0027: its row, then its chord's count).
    EXECUTE format('GRANT INSERT, UPDATE ON %1$I.groups TO %2$I', s, worker);
    -- Rate and concurrency limits (0028), decided in the claim.
    EXECUTE format('GRANT SELECT, INSERT, UPDATE ON %1$I.rate_limits, %1$I.concurrency_keys TO %2$I', s, worker);
    EXECUTE format('GRANT SELECT ON %1$I.schema_migrations, %1$I.schema_repeatables TO %2$I', s, worker);
    EXECUTE format('GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA %I TO %I', s, worker);
    EXECUTE format('REVOKE EXECUTE ON FUNCTION %s, %I.grant_roles(text, text, text, text) FROM %I',
                   control_functions, s, worker);

    -- monitor and admin
    FOREACH role IN ARRAY ARRAY[monitor, admin] LOOP
        EXECUTE format(
            'GRANT SELECT ON %1$I.queues, %1$I.task_names, %1$I.recent_failures, %1$I.worker_status, %1$I.schedules, '
            '%1$I.task_events, %1$I.unfinished_tasks, %1$I.finished_tasks, %1$I.registered_tasks, %1$I.revoked_tasks, '
            '%1$I.throughput, %1$I.task_stats '
            'TO %2$I', s, role);
        -- A view's functions are called with its reader's rights: the percentiles of task_names.
        EXECUTE format(
            'GRANT EXECUTE ON FUNCTION %1$I.task_history(uuid), %1$I.task_name_stats(interval), '
            '%1$I.stats_histogram(integer, bigint), %1$I.stats_histogram_step(bigint[], integer, bigint), '
            '%1$I.stats_percentile(bigint[], double precision), %1$I.stats_bucket_seconds(integer), '
            '%1$I.valid_chain_step(jsonb), %1$I.uuid_v7_at(timestamptz), '
            '%1$I.task_list(text, text, text, text, text, uuid, uuid, timestamptz, timestamptz, boolean, integer, '
            'integer, integer), %1$I.task_list_window(uuid, integer, boolean) TO %2$I', s, role);
    END LOOP;
    EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %I', control_functions, admin);
    EXECUTE format('GRANT SELECT ON %I.audit_log TO %I', s, admin);

    INSERT INTO settings (key, value, updated_by)
    VALUES ('roles', jsonb_build_object('producer', producer, 'worker', worker, 'monitor', monitor, 'admin', admin),
            session_user)
    ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_by = EXCLUDED.updated_by, updated_at = now();
END;
$$;

-- task_result(id): a task's state and outcome, for SQL producers (the producer role may call
-- it, and read no table through it but this task's row):
--   queued, retry, started   not finished (started: running, or claimed);
--   succeeded, failed, revoked   finished, with result or error;
--   unknown                  no such task (never sent, pruned after result_expires, or run
--                            with ignore_result).
CREATE OR REPLACE FUNCTION task_result(task_id uuid)
RETURNS TABLE (state text, result jsonb, error jsonb, finished_at timestamptz)
LANGUAGE sql STABLE
SECURITY DEFINER
BEGIN ATOMIC
    SELECT coalesce(r.state, t.state, 'unknown'), r.result, coalesce(r.error, t.last_error), r.finished_at
    FROM (SELECT 1) AS one
    LEFT JOIN results AS r ON r.id = task_result.task_id
    LEFT JOIN tasks AS t ON t.id = task_result.task_id;
END;
