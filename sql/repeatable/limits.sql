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

-- Which of the tasks `ids`, just claimed (and locked) by this transaction, may not start yet;
-- each is moved to when it may be claimed again, and returned, so the claim leaves it
-- queued. Concurrency first: for each key (in key order, so two claims never wait on each
-- other in a circle), the started tasks of the key are counted after its row is locked (the
-- count then sees every admission committed before), plus those this transaction admitted;
-- those over the limit are tried again a second later. Then rates: for each key, in order,
-- a task starts if the key's `next_at` has come (or it holds a moment reserved earlier that
-- has come), and moves `next_at` on by the interval; the others are given the next moments in
-- turn, reserved.
CREATE OR REPLACE FUNCTION admit_tasks(ids uuid[]) RETURNS TABLE (id uuid, not_before timestamptz)
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
#variable_conflict use_column
DECLARE
    k        record;
    t        record;
    running  integer;
    free     integer;
    slot     timestamptz;
    held     uuid[] := '{}';
    reserved timestamptz;
BEGIN
    -- Concurrency.
    FOR k IN
        SELECT c.options ->> 'concurrency_key' AS key,
               max(CASE WHEN c.options ->> 'concurrency_limit' ~ '^[0-9]{1,9}$'
                        THEN (c.options ->> 'concurrency_limit')::int END) AS max_running,
               array_agg(c.id ORDER BY c.ord) AS members
        FROM (SELECT x.id, x.options, u.ord FROM unnest(ids) WITH ORDINALITY AS u(id, ord)
              JOIN tasks AS x ON x.id = u.id) AS c
        WHERE c.options ? 'concurrency_limit' AND c.options ? 'concurrency_key'
        GROUP BY 1 ORDER BY 1
    LOOP
        CONTINUE WHEN k.max_running IS NULL;
        INSERT INTO concurrency_keys AS ck (key) VALUES (k.key) ON CONFLICT (key) DO NOTHING;
        PERFORM 1 FROM concurrency_keys AS ck WHERE ck.key = k.key FOR UPDATE;
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

    -- Rates.
    FOR k IN
        SELECT coalesce(c.options ->> 'rate_key', c.name) AS key, rate_interval(c.options ->> 'rate_limit') AS step,
               array_agg(c.id ORDER BY c.ord) AS members
        FROM (SELECT x.id, x.name, x.options, u.ord FROM unnest(ids) WITH ORDINALITY AS u(id, ord)
              JOIN tasks AS x ON x.id = u.id) AS c
        WHERE c.options ? 'rate_limit' AND NOT (c.id = ANY (held))
        GROUP BY 1, 2 ORDER BY 1, 2
    LOOP
        CONTINUE WHEN k.step IS NULL;
        INSERT INTO rate_limits AS r (key, next_at) VALUES (k.key, now()) ON CONFLICT (key) DO NOTHING;
        SELECT r.next_at INTO slot FROM rate_limits AS r WHERE r.key = k.key FOR UPDATE;
        FOR t IN SELECT x.id, x.options FROM unnest(k.members) WITH ORDINALITY AS m(id, ord)
                 JOIN tasks AS x ON x.id = m.id ORDER BY m.ord LOOP
            reserved := CASE WHEN jsonb_typeof(t.options -> 'rate_reserved') = 'number'
                             THEN to_timestamp((t.options ->> 'rate_reserved')::float8) END;
            IF reserved IS NOT NULL AND reserved <= now() THEN
                CONTINUE;  -- its moment came: it was counted when it was reserved
            END IF;
            slot := greatest(slot, now());
            IF slot > now() THEN
                RETURN QUERY
                UPDATE tasks AS x
                SET run_at = slot, options = x.options || jsonb_build_object('rate_reserved', extract(epoch FROM slot))
                WHERE x.id = t.id
                RETURNING x.id, x.run_at::timestamptz;
            END IF;
            slot := slot + make_interval(secs => k.step);
        END LOOP;
        UPDATE rate_limits AS r SET next_at = slot, updated_at = now() WHERE r.key = k.key;
    END LOOP;
END;
$$;
