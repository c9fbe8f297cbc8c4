-- maintain_result_partitions(expires_seconds, width_seconds, ahead_seconds): the partitions of
-- `results` (0022), kept by the maintenance leader every second (ResultPartitions).
--
-- Creates partitions of `width_seconds` of task creation each, one after another, until they
-- reach `ahead_seconds` past now; a new one starts where the last ended, or now when the last
-- ended long ago (the results of the gap are in results_default). Each is made outside the
-- table and attached, which locks `results` only against other schema changes, never against
-- reads and writes (CREATE TABLE … PARTITION OF would lock it whole).
--
-- With `expires_seconds` (NULL keeps results for ever), drops every partition whose range
-- ended more than that long ago, once no task of its range is still in the queue and none of
-- its results finished within that time (a task that waited long, or ran again). A drop locks
-- `results` for a moment: it waits at most 100 ms for the transactions using it, and if they
-- are not done, gives up until the next round.
--
-- A role that does not own `results` changes nothing (`allowed` is false); the results then
-- stay in results_default, pruned row by row.
--
--   SELECT * FROM celeriac.maintain_result_partitions(86400, 8640, 60);
CREATE OR REPLACE FUNCTION maintain_result_partitions(
    expires_seconds double precision, width_seconds double precision, ahead_seconds double precision)
RETURNS TABLE (created integer, dropped integer, allowed boolean)
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
DECLARE
    width    interval := make_interval(secs => greatest(width_seconds, 1));
    horizon  timestamptz := now() + make_interval(secs => greatest(ahead_seconds, width_seconds));
    cutoff   timestamptz := now() - make_interval(secs => expires_seconds);
    made     integer := 0;
    gone     integer := 0;
    low      timestamptz;
    high     timestamptz;
    part     text;
    recent   boolean;
    old      record;
BEGIN
    IF NOT pg_has_role((SELECT c.relowner FROM pg_class AS c WHERE c.oid = 'results'::regclass), 'USAGE') THEN
        RETURN QUERY SELECT 0, 0, false;
        RETURN;
    END IF;

    SELECT max(p.upper_at) INTO low FROM result_partitions AS p;
    IF low IS NULL OR low < now() - width THEN
        low := to_timestamp(floor(extract(epoch FROM now()) / extract(epoch FROM width)) * extract(epoch FROM width));
    END IF;
    WHILE low < horizon LOOP
        high := low + width;
        part := 'results_' || to_char(low AT TIME ZONE 'UTC', 'YYYYMMDD"_"HH24MISS"_"MS');
        EXECUTE format('CREATE TABLE %I (LIKE results INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', part);
        -- Results of the range that arrived before it existed move over from the default.
        EXECUTE format(
            'WITH moved AS (DELETE FROM results_default WHERE id >= $1 AND id < $2 RETURNING *) '
            'INSERT INTO %I SELECT * FROM moved', part)
            USING uuid_v7_at(low), uuid_v7_at(high);
        EXECUTE format('ALTER TABLE results ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
                       part, uuid_v7_at(low), uuid_v7_at(high));
        INSERT INTO result_partitions (name, lower_at, upper_at) VALUES (part, low, high);
        made := made + 1;
        low := high;
    END LOOP;

    IF expires_seconds IS NOT NULL THEN
        FOR old IN
            SELECT p.name, p.lower_at, p.upper_at FROM result_partitions AS p
            WHERE p.upper_at < cutoff ORDER BY p.upper_at
        LOOP
            CONTINUE WHEN EXISTS (
                SELECT 1 FROM tasks AS t WHERE t.id >= uuid_v7_at(old.lower_at) AND t.id < uuid_v7_at(old.upper_at));
            EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE finished_at >= $1)', old.name) INTO recent USING cutoff;
            CONTINUE WHEN recent;
            BEGIN
                PERFORM set_config('lock_timeout', '100ms', true);
                EXECUTE format('DROP TABLE %I', old.name);
                DELETE FROM result_partitions WHERE name = old.name;
                gone := gone + 1;
            EXCEPTION WHEN lock_not_available THEN
                EXIT;
            END;
        END LOOP;
    END IF;
    RETURN QUERY SELECT made, gone, true;
END;
$$;
