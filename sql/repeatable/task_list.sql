-- task_list(): one page of tasks, finished and unfinished together, for the dashboard, the
-- Flower-compatible /api/tasks and anyone at psql. Every filter is optional (NULL means any):
--
--   of_state       queued, scheduled, retry, started, succeeded, failed or revoked;
--   of_name        the task name, exact;
--   in_queue       the queue, exact;
--   by_worker      the worker running it, or that ran its last attempt (instance id);
--   matching       text in args, kwargs, result or error message, case-insensitive;
--   after, before  exclusive bounds on the id (keyset paging in either direction);
--   since, until   creation time (a range of the time-ordered ids).
--
-- Newest first, or oldest first with oldest_first. The page reads the primary keys of
-- `results` and `tasks` from the cursor on, so it is as quick a million rows deep as at the
-- top; only the filters are checked row by row. A `matching` search reads rows until the page is
-- full: bound it with after/before (task_list_window()) to cap the rows read. Arguments,
-- result and error are cut to `preview` characters. Built with only the filters given, so
-- each call is planned for what it asks.
--
--   SELECT id, name, state FROM celeriac.task_list(of_state => 'failed', page_size => 20);
CREATE OR REPLACE FUNCTION task_list(
    of_state text DEFAULT NULL, of_name text DEFAULT NULL, in_queue text DEFAULT NULL, by_worker text DEFAULT NULL,
    matching text DEFAULT NULL, after uuid DEFAULT NULL, before uuid DEFAULT NULL, since timestamptz DEFAULT NULL,
    until timestamptz DEFAULT NULL, oldest_first boolean DEFAULT false, page_size integer DEFAULT 50,
    skip integer DEFAULT 0, preview integer DEFAULT 200)
RETURNS TABLE (id uuid, name text, queue text, state text, worker text, args text, kwargs text, result text,
               error text, attempt integer, created_at timestamptz, started_at timestamptz,
               finished_at timestamptz, runtime double precision)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path FROM CURRENT
AS $$
DECLARE
    direction text := CASE WHEN task_list.oldest_first THEN 'ASC' ELSE 'DESC' END;
    reach integer := greatest(task_list.page_size, 0) + greatest(task_list.skip, 0);
    finished_states text[] := ARRAY['succeeded', 'failed', 'revoked'];
    common text := '';
    branches text[] := ARRAY[]::text[];
    finished_where text;
    unfinished_where text;
BEGIN
    IF task_list.of_state IS NOT NULL
       AND task_list.of_state <> ALL (finished_states || ARRAY['queued', 'scheduled', 'retry', 'started']) THEN
        RAISE EXCEPTION 'unknown state %: use queued, scheduled, retry, started, succeeded, failed or revoked',
            task_list.of_state USING ERRCODE = '22023';
    END IF;
    IF task_list.of_name IS NOT NULL THEN common := common || ' AND x.name = $2'; END IF;
    IF task_list.in_queue IS NOT NULL THEN common := common || ' AND x.queue = $3'; END IF;
    IF task_list.after IS NOT NULL THEN common := common || ' AND x.id > $6'; END IF;
    IF task_list.before IS NOT NULL THEN common := common || ' AND x.id < $7'; END IF;
    IF task_list.since IS NOT NULL THEN common := common || ' AND x.id >= uuid_v7_at($8)'; END IF;
    IF task_list.until IS NOT NULL THEN common := common || ' AND x.id < uuid_v7_at($9)'; END IF;
    IF task_list.matching IS NOT NULL THEN
        common := common || ' AND (strpos(lower(x.args::text), lower($5)) > 0'
                         || ' OR strpos(lower(x.kwargs::text), lower($5)) > 0 OR strpos(lower(%s), lower($5)) > 0)';
    END IF;
    finished_where := format(common, 'coalesce(x.result::text, x.error ->> ''message'', '''')');
    unfinished_where := format(common, 'coalesce(x.last_error ->> ''message'', '''')');

    IF task_list.of_state IS NULL OR task_list.of_state = ANY (finished_states) THEN
        branches := branches || format(
            '(SELECT x.id, x.name, x.queue, x.state, x.worker, x.args, x.kwargs, x.result::text AS result,'
            || ' CASE WHEN x.error IS NOT NULL THEN concat(x.error ->> ''type'', '': '', x.error ->> ''message'') END'
            || ' AS error, x.attempt, x.created_at, x.started_at, x.finished_at, x.runtime'
            || ' FROM results AS x WHERE true%s%s%s ORDER BY x.id %s LIMIT %s)',
            CASE WHEN task_list.of_state IS NOT NULL THEN ' AND x.state = $1' ELSE '' END,
            CASE WHEN task_list.by_worker IS NOT NULL THEN ' AND x.worker = $4' ELSE '' END,
            finished_where, direction, reach);
    END IF;
    IF task_list.of_state IS NULL OR task_list.of_state <> ALL (finished_states) THEN
        branches := branches || format(
            '(SELECT x.id, x.name, x.queue,'
            || ' CASE WHEN x.state = ''queued'' AND x.run_at > now() THEN ''scheduled'' ELSE x.state::text END AS state,'
            || ' x.owner AS worker, x.args, x.kwargs, NULL::text AS result,'
            || ' CASE WHEN x.last_error IS NOT NULL'
            || ' THEN concat(x.last_error ->> ''type'', '': '', x.last_error ->> ''message'') END AS error,'
            || ' x.attempt, x.created_at, x.started_at, NULL::timestamptz AS finished_at, NULL::float8 AS runtime'
            || ' FROM tasks AS x WHERE true%s%s%s ORDER BY x.id %s LIMIT %s)',
            CASE WHEN task_list.of_state IS NOT NULL
                 THEN ' AND (CASE WHEN x.state = ''queued'' AND x.run_at > now() THEN ''scheduled'''
                      || ' ELSE x.state::text END) = $1' ELSE '' END,
            CASE WHEN task_list.by_worker IS NOT NULL THEN ' AND x.owner = $4' ELSE '' END,
            unfinished_where, direction, reach);
    END IF;

    RETURN QUERY EXECUTE format(
        'SELECT p.id, p.name::text, p.queue::text, p.state::text, p.worker::text, left(p.args::text, $10), left(p.kwargs::text, $10),'
        || ' left(p.result, $10), left(p.error, $10), p.attempt, p.created_at, p.started_at, p.finished_at, p.runtime'
        || ' FROM (%s) AS p ORDER BY p.id %s OFFSET %s LIMIT %s',
        array_to_string(branches, ' UNION ALL '), direction, greatest(task_list.skip, 0),
        greatest(task_list.page_size, 0))
    USING task_list.of_state, task_list.of_name, task_list.in_queue, task_list.by_worker, task_list.matching, task_list.after,
          task_list.before, task_list.since, task_list.until, greatest(task_list.preview, 0);
END;
$$;

-- task_list_window(start, size, oldest_first): the id `size` tasks away from `start`
-- (exclusive; NULL starts at the newest, or the oldest), counting finished and unfinished
-- tasks together, or NULL when fewer are left. Passed to task_list() as `after` (or
-- `before`), it caps a search at `size` rows read: two index-only scans, whatever the size
-- of the tables.
CREATE OR REPLACE FUNCTION task_list_window(start uuid, size integer, oldest_first boolean DEFAULT false)
RETURNS uuid
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path FROM CURRENT
AS $$
DECLARE
    found uuid;
BEGIN
    IF task_list_window.oldest_first THEN
        SELECT w.id INTO found FROM (
            (SELECT r.id FROM results AS r WHERE task_list_window.start IS NULL OR r.id > task_list_window.start
             ORDER BY r.id LIMIT task_list_window.size + 1)
            UNION ALL
            (SELECT t.id FROM tasks AS t WHERE task_list_window.start IS NULL OR t.id > task_list_window.start
             ORDER BY t.id LIMIT task_list_window.size + 1)) AS w
        ORDER BY w.id OFFSET task_list_window.size LIMIT 1;
    ELSE
        SELECT w.id INTO found FROM (
            (SELECT r.id FROM results AS r WHERE task_list_window.start IS NULL OR r.id < task_list_window.start
             ORDER BY r.id DESC LIMIT task_list_window.size + 1)
            UNION ALL
            (SELECT t.id FROM tasks AS t WHERE task_list_window.start IS NULL OR t.id < task_list_window.start
             ORDER BY t.id DESC LIMIT task_list_window.size + 1)) AS w
        ORDER BY w.id DESC OFFSET task_list_window.size LIMIT 1;
    END IF;
    RETURN found;
END;
$$;
