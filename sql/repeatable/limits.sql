-- Fleet-wide rate and concurrency limits (migration 0028), decided in the claim
-- (queries/tasks.sql, `claim`) for the claimed tasks whose options name a limit.

-- The seconds between two starts under `rate`: "10/s", "10/m", "10/h", or a bare number per
-- second (Celery's spelling). NULL for anything else, or a rate of zero.
CREATE OR REPLACE FUNCTION rate_interval(rate text) RETURNS double precision
LANGUAGE sql IMMUTABLE
RETURN CASE WHEN rate ~ '^\s*[0-9]+(\.[0-9]+)?\s*(/\s*[smh]\s*)?$'
            THEN CASE coalesce(substring(rate FROM '/\s*([smh])'), 's') WHEN 's' THEN 1 WHEN 'm' THEN 60 ELSE 3600 END
                 / nullif(substring(rate FROM '^\s*([0-9]+(\.[0-9]+)?)')::float8, 0)
       END;

-- The budget a call of `name` spends under a task type's rate limit, by its `spec`
-- (task_types.rate_key, LimitKey in Swift): the name; the name and a positional or keyword
-- argument's JSON ('argument:0', 'keyword:customer'; the name alone when the call lacks it);
-- or a fixed key ('fixed:stripe').
CREATE OR REPLACE FUNCTION limit_key(name text, spec text, args jsonb, kwargs jsonb) RETURNS text
LANGUAGE sql IMMUTABLE
RETURN CASE WHEN spec IS NULL THEN name
            WHEN spec LIKE 'fixed:%' THEN substr(spec, 7)
            WHEN spec ~ '^argument:[0-9]{1,6}$' THEN coalesce(name || ':' || (args -> substr(spec, 10)::int)::text, name)
            WHEN spec LIKE 'keyword:%' THEN coalesce(name || ':' || (kwargs -> substr(spec, 9))::text, name)
            ELSE name END;

-- The next moments of rate key `key` (`step` seconds apart) for the tasks `members`, in
-- order: those within a millisecond of now start; the others are moved to theirs, reserved,
-- and returned. The time is read now, not at the transaction's start: this claim may have
-- waited for the key's row while another spent the moments up to now. Under a high rate each
-- session takes a block of moments (up to 100 ms worth, at most 1,000) and hands them out to
-- its next claims, so that workers do not wait on one another for the row at every claim;
-- moments already past are skipped, never spent late, so there is no burst above the rate.
CREATE OR REPLACE FUNCTION take_moments(key text, step double precision, members uuid[])
RETURNS TABLE (id uuid, not_before timestamptz)
LANGUAGE plpgsql
SET search_path FROM CURRENT
SET enable_seqscan = off
AS $$
#variable_conflict use_column
DECLARE
    slot    timestamptz;
    present timestamptz := clock_timestamp();
    batch   integer := greatest(1, least(1000, floor(0.1 / step)))::int;
    setting text;
    own     float8[];
    n       integer := cardinality(members);
BEGIN
    IF batch > 1 THEN
        setting := 'celeriac.rate_' || md5(current_schema() || ' ' || key);
        own := string_to_array(nullif(current_setting(setting, true), ''), ' ')::float8[];
        IF cardinality(own) = 2
           AND greatest(to_timestamp(own[1]), present) + make_interval(secs => step * n) <= to_timestamp(own[2]) THEN
            slot := greatest(to_timestamp(own[1]), present);
            own[1] := extract(epoch FROM slot + make_interval(secs => step * n));
        END IF;
    END IF;
    IF slot IS NULL THEN
        SELECT r.next_at INTO slot FROM rate_limits AS r WHERE r.key = take_moments.key FOR UPDATE;
        IF NOT FOUND THEN
            INSERT INTO rate_limits AS r (key, next_at) VALUES (take_moments.key, now()) ON CONFLICT (key) DO NOTHING;
            SELECT r.next_at INTO slot FROM rate_limits AS r WHERE r.key = take_moments.key FOR UPDATE;
        END IF;
        present := clock_timestamp();
        slot := greatest(slot, present);
        UPDATE rate_limits AS r
        SET next_at = slot + make_interval(secs => step * greatest(batch, n)), updated_at = now()
        WHERE r.key = take_moments.key;
        own := ARRAY[extract(epoch FROM slot + make_interval(secs => step * n)),
                     extract(epoch FROM slot + make_interval(secs => step * greatest(batch, n)))];
    END IF;
    IF batch > 1 THEN
        PERFORM set_config(setting, own[1]::text || ' ' || own[2]::text, false);
    END IF;
    -- Only when the last moment taken has not come (under a rate far above the drain rate,
    -- never) are some tasks moved.
    IF slot + make_interval(secs => step * (n - 1)) > present + interval '1 millisecond' THEN
        RETURN QUERY
        UPDATE tasks AS x
        SET run_at = m.at,
            options = x.options || jsonb_build_object('rate_reserved', extract(epoch FROM m.at))
        FROM (SELECT u.id, slot + make_interval(secs => step * (u.n - 1)) AS at
              FROM unnest(members) WITH ORDINALITY AS u(id, n)) AS m
        WHERE x.id = ANY (members) AND x.id = m.id AND m.at > present + interval '1 millisecond'
        RETURNING x.id, x.run_at::timestamptz;
    END IF;
END;
$$;

-- Which of the tasks `ids` (with their `names` and `options`), just claimed (and locked) by
-- this transaction, may not start yet (a call's limits are in its options, a task type's rate
-- limit in task_types); each is moved to when it may be claimed again, and returned, so the
-- claim leaves it queued. Concurrency first: for each key (in key order, so two claims never
-- wait on each other in a circle), the started tasks of the key are counted after its row is
-- locked (the count then sees every admission committed before), plus those this transaction
-- admitted; those over the limit are tried again a second later. Then rates: for each key, in
-- order, the tasks take the key's next moments (take_moments). A task holding a reserved
-- moment that has come starts without taking another.
-- (The claim passes the rows' names and options: reading them again here joined the ids with
-- `tasks`, which a plan could do by reading all of it.)
DROP FUNCTION IF EXISTS admit_tasks(uuid[]);
CREATE OR REPLACE FUNCTION admit_tasks(ids uuid[], names text[], options jsonb[])
RETURNS TABLE (id uuid, not_before timestamptz)
LANGUAGE plpgsql
SET search_path FROM CURRENT
-- Every statement here reads `tasks` by key, through an index: after a vacuum of an empty
-- queue the planner thinks it empty and would read all of it instead (10,000 tasks a second
-- where 40,000 were drained).
SET enable_seqscan = off
AS $$
#variable_conflict use_column
DECLARE
    k        record;
    running  integer;
    free     integer;
    held     uuid[] := '{}';
    own_rate text;
    spec     text;
BEGIN
    -- The usual claim: one task type, calls without options of their own. One look at
    -- task_types, one key.
    IF names[1] = ALL (names) AND '{}'::jsonb = ALL (options) THEN
        SELECT ty.rate_limit, ty.rate_key INTO own_rate, spec FROM task_types AS ty WHERE ty.name = names[1];
        IF own_rate IS NOT NULL AND (spec IS NULL OR spec LIKE 'fixed:%') AND rate_interval(own_rate) IS NOT NULL THEN
            RETURN QUERY SELECT * FROM take_moments(limit_key(names[1], spec, NULL, NULL), rate_interval(own_rate), ids);
            RETURN;
        ELSIF own_rate IS NULL THEN
            RETURN;
        END IF;
    END IF;

    -- Concurrency (only calls carry it).
    FOR k IN
        SELECT c.options ->> 'concurrency_key' AS key,
               max(CASE WHEN c.options ->> 'concurrency_limit' ~ '^[0-9]{1,9}$'
                        THEN (c.options ->> 'concurrency_limit')::int END) AS max_running,
               array_agg(c.id ORDER BY c.ord) AS members
        FROM unnest(ids, options) WITH ORDINALITY AS c(id, options, ord)
        WHERE c.options ? 'concurrency_limit' AND c.options ? 'concurrency_key'
        GROUP BY 1 ORDER BY 1
    LOOP
        CONTINUE WHEN k.max_running IS NULL;
        PERFORM 1 FROM concurrency_keys AS ck WHERE ck.key = k.key FOR UPDATE;
        IF NOT FOUND THEN
            INSERT INTO concurrency_keys AS ck (key) VALUES (k.key) ON CONFLICT (key) DO NOTHING;
            PERFORM 1 FROM concurrency_keys AS ck WHERE ck.key = k.key FOR UPDATE;
        END IF;
        SELECT count(*) INTO running FROM tasks AS x
        WHERE x.options ? 'concurrency_key' AND x.options ->> 'concurrency_key' = k.key AND x.state = 'started';
        SELECT running + CASE WHEN ck.txid = pg_current_xact_id() THEN ck.admitted ELSE 0 END INTO running
        FROM concurrency_keys AS ck WHERE ck.key = k.key;
        free := greatest(k.max_running - running, 0);
        UPDATE concurrency_keys AS ck
        SET admitted = CASE WHEN ck.txid = pg_current_xact_id() THEN ck.admitted ELSE 0 END
                       + least(free, cardinality(k.members)),
            txid = pg_current_xact_id()
        WHERE ck.key = k.key;
        IF cardinality(k.members) > free THEN
            held := held || k.members[free + 1:];
        END IF;
    END LOOP;
    IF cardinality(held) > 0 THEN
        RETURN QUERY
        UPDATE tasks AS x SET run_at = now() + interval '1 second'
        WHERE x.id = ANY (held)
        RETURNING x.id, x.run_at::timestamptz;
    END IF;

    -- Rates: grouped by name and own limit first, so that a batch of one task type costs one
    -- look at task_types and one rate_interval; only a type's per-argument key reads the
    -- calls' arguments, and keys them one by one.
    FOR k IN
        WITH grouped AS (
            SELECT u.name, u.options ->> 'rate_limit' AS own_rate, u.options ->> 'rate_key' AS own_key,
                   array_agg(u.id ORDER BY u.ord) FILTER (
                       WHERE NOT u.options ? 'rate_reserved'
                          OR jsonb_typeof(u.options -> 'rate_reserved') <> 'number'
                          OR to_timestamp((u.options ->> 'rate_reserved')::float8) > clock_timestamp() + interval '1 millisecond'
                   ) AS members
            FROM unnest(ids, names, options) WITH ORDINALITY AS u(id, name, options, ord)
            WHERE NOT (u.id = ANY (held))
            GROUP BY 1, 2, 3
        ),
        typed AS (
            SELECT g.name, g.own_rate, g.own_key, g.members, ty.rate_limit AS type_rate, ty.rate_key AS spec
            FROM grouped AS g
            LEFT JOIN task_types AS ty ON g.own_rate IS NULL AND ty.name = g.name
            WHERE g.members IS NOT NULL AND (g.own_rate IS NOT NULL OR ty.rate_limit IS NOT NULL)
        ),
        keyed AS (
            SELECT coalesce(t.own_key, t.name) AS key, t.own_rate AS rate, t.members
            FROM typed AS t WHERE t.own_rate IS NOT NULL
            UNION ALL
            SELECT limit_key(t.name, t.spec, NULL, NULL), t.type_rate, t.members
            FROM typed AS t WHERE t.own_rate IS NULL AND (t.spec IS NULL OR t.spec LIKE 'fixed:%')
            UNION ALL
            SELECT limit_key(t.name, t.spec, x.args, x.kwargs), t.type_rate, array_agg(m.id ORDER BY m.n)
            FROM typed AS t
            CROSS JOIN LATERAL unnest(t.members) WITH ORDINALITY AS m(id, n)
            JOIN tasks AS x ON x.id = m.id
            WHERE t.own_rate IS NULL AND NOT (t.spec IS NULL OR t.spec LIKE 'fixed:%')
            GROUP BY 1, 2
        )
        SELECT key, rate_interval(rate) AS step, members FROM keyed ORDER BY 1, 2
    LOOP
        CONTINUE WHEN k.step IS NULL OR k.members IS NULL;
        RETURN QUERY SELECT * FROM take_moments(k.key, k.step, k.members);
    END LOOP;
END;
$$;
