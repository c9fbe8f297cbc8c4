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

-- Which of the tasks `ids` (with their `names` and `options`), just claimed (and locked) by
-- this transaction, may not start yet;
-- each is moved to when it may be claimed again, and returned, so the claim leaves it
-- queued. Concurrency first: for each key (in key order, so two claims never wait on each
-- other in a circle), the started tasks of the key are counted after its row is locked (the
-- count then sees every admission committed before), plus those this transaction admitted;
-- those over the limit are tried again a second later. Then rates: for each key, in order,
-- the tasks take the key's next moments in turn (`next_at` moves on by the interval for
-- each); a task whose moment has come starts, the others are moved to theirs, reserved. A
-- task holding a reserved moment that has come starts without taking another.
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
    slot     timestamptz;
    held     uuid[] := '{}';
    present  timestamptz;
    batch    integer;
    setting  text;
    own      float8[];
BEGIN
    -- Concurrency.
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

    -- Rates. The members of a key in claim order, those without a moment reserved earlier
    -- that has come each take the next moment: those within a millisecond of now start (the
    -- time now, not the transaction's start: this claim may have waited for the lock while
    -- another spent the moments up to now); the rest are moved to theirs, reserved.
    FOR k IN
        -- (rate_interval once per key: its patterns cost as much as the rest for every row.)
        SELECT g.key, rate_interval(g.rate) AS step, g.members FROM (
        SELECT coalesce(c.options ->> 'rate_key', c.name) AS key, c.options ->> 'rate_limit' AS rate,
               array_agg(c.id ORDER BY c.ord) FILTER (
                   WHERE jsonb_typeof(c.options -> 'rate_reserved') IS DISTINCT FROM 'number'
                      OR to_timestamp((c.options ->> 'rate_reserved')::float8) > clock_timestamp() + interval '1 millisecond'
               ) AS members
        FROM unnest(ids, names, options) WITH ORDINALITY AS c(id, name, options, ord)
        WHERE c.options ? 'rate_limit' AND NOT (c.id = ANY (held))
        GROUP BY 1, 2) AS g
        ORDER BY 1, 2
    LOOP
        CONTINUE WHEN k.step IS NULL OR k.members IS NULL;
        present := clock_timestamp();
        slot := NULL;
        -- Under a high rate each session takes a block of moments (up to 100 ms worth, at most
        -- 1,000) and hands them out to its next claims, so that workers do not wait on one
        -- another for the key's row at every claim. Moments already past are skipped, never
        -- spent late: no burst above the rate.
        batch := greatest(1, least(1000, floor(0.1 / k.step)))::int;
        setting := 'celeriac.rate_' || md5(current_schema() || ' ' || k.key);
        IF batch > 1 THEN
            own := string_to_array(nullif(current_setting(setting, true), ''), ' ')::float8[];
            IF cardinality(own) = 2
               AND greatest(to_timestamp(own[1]), present) + make_interval(secs => k.step * cardinality(k.members))
                   <= to_timestamp(own[2]) THEN
                slot := greatest(to_timestamp(own[1]), present);
                own[1] := extract(epoch FROM slot + make_interval(secs => k.step * cardinality(k.members)));
            END IF;
        END IF;
        IF slot IS NULL THEN
            SELECT r.next_at INTO slot FROM rate_limits AS r WHERE r.key = k.key FOR UPDATE;
            IF NOT FOUND THEN
                INSERT INTO rate_limits AS r (key, next_at) VALUES (k.key, now()) ON CONFLICT (key) DO NOTHING;
                SELECT r.next_at INTO slot FROM rate_limits AS r WHERE r.key = k.key FOR UPDATE;
            END IF;
            -- The time now, not the transaction's start: this claim may have waited for the
            -- lock while another spent the moments up to now.
            present := clock_timestamp();
            slot := greatest(slot, present);
            UPDATE rate_limits AS r
            SET next_at = slot + make_interval(secs => k.step * greatest(batch, cardinality(k.members))), updated_at = now()
            WHERE r.key = k.key;
            own := ARRAY[extract(epoch FROM slot + make_interval(secs => k.step * cardinality(k.members))),
                         extract(epoch FROM slot + make_interval(secs => k.step * greatest(batch, cardinality(k.members))))];
        END IF;
        IF batch > 1 THEN
            PERFORM set_config(setting, own[1]::text || ' ' || own[2]::text, false);
        END IF;
        -- Only when the last moment taken has not come (under a rate far above the drain rate,
        -- never) are some tasks moved.
        IF slot + make_interval(secs => k.step * (cardinality(k.members) - 1)) > present + interval '1 millisecond' THEN
            RETURN QUERY
            UPDATE tasks AS x
            SET run_at = m.at,
                options = x.options || jsonb_build_object('rate_reserved', extract(epoch FROM m.at))
            FROM (SELECT u.id, slot + make_interval(secs => k.step * (u.n - 1)) AS at
                  FROM unnest(k.members) WITH ORDINALITY AS u(id, n)) AS m
            WHERE x.id = ANY (k.members) AND x.id = m.id AND m.at > present + interval '1 millisecond'
            RETURNING x.id, x.run_at::timestamptz;
        END IF;
    END LOOP;
END;
$$;
