-- maintain_partitions(parent, expires_seconds, width_seconds, ahead_seconds): the partitions of
-- `results` (by id, which is the creation time of Celeriac's ids) and of `events` (by `at`),
-- 0022, kept by the maintenance leader every second (TablePartitions).
--
-- Creates partitions of `width_seconds` each, one after another, until they reach
-- `ahead_seconds` past now, on boundaries that are multiples of the width; the first starts
-- where the partition holding now ends, or, when none holds it, at the second after next and
-- ends at the next boundary (rows before it stay in the default partition). So a new partition
-- covers a range still to come, with no row yet. (Starting at the next boundary instead left
-- up to a whole width in the default partition: 2.4 hours with result_expires at a day, every
-- result of them deleted one by one, by a scan of the whole partition each round.) Ranges already covered
-- are skipped and a new partition ends where the next one begins: after `result_expires` is
-- lowered, the wide partitions made for the old value may begin hours ahead, and the time
-- until then is filled with narrow ones rather than left to the default partition.
-- Each is made outside the table and attached. Writes to the table wait for the attach
-- (SHARE ROW EXCLUSIVE; reads go on), or one that began before it could put a row of the
-- new range in the default partition, and fail. When rows of the range are already in the
-- default partition (an id made by a clock far ahead), they move over, and then reads wait
-- too (ACCESS EXCLUSIVE): a read planned before the attach would miss them. Either lock is
-- waited for at most 20 ms, else the partition is made at the next round. (CREATE TABLE …
-- PARTITION OF would lock out reads every time.)
--
-- With `expires_seconds` (NULL keeps everything), drops every partition whose range ended
-- more than that long ago. A partition of results also waits until no task of its range is
-- still in the queue and none of its results finished within that time (a task that waited
-- long, or ran again). A drop locks the table for a moment: it waits at most 20 ms for the
-- transactions using it, and if they are not done, gives up until the next round. (Reads and
-- writes that come while a lock is waited for queue behind it: the wait is what they may
-- lose. It was 100 ms, and pickup p99 reached 181 ms in a soak with a transaction held open.)
--
-- A role that does not own the table changes nothing (`allowed` is false); its rows then stay
-- in the default partition, pruned row by row.
--
--   SELECT * FROM celeriac.maintain_partitions('results', 86400, 8640, 60);
CREATE OR REPLACE FUNCTION maintain_partitions(
    parent text, expires_seconds double precision, width_seconds double precision, ahead_seconds double precision)
RETURNS TABLE (created integer, dropped integer, allowed boolean)
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
DECLARE
    width    interval := make_interval(secs => greatest(width_seconds, 1));
    horizon  timestamptz := now() + make_interval(secs => greatest(ahead_seconds, width_seconds));
    cutoff   timestamptz := now() - make_interval(secs => expires_seconds);
    by_id    boolean := maintain_partitions.parent = 'results';
    made     integer := 0;
    gone     integer := 0;
    low      timestamptz;
    high     timestamptz;
    covered  timestamptz;
    boundary timestamptz;
    part     text;
    recent   boolean;
    moving   boolean;
    old      record;
BEGIN
    IF maintain_partitions.parent NOT IN ('results', 'events') THEN
        RAISE EXCEPTION 'only results and events are partitioned, not %', maintain_partitions.parent
            USING ERRCODE = '22023';
    END IF;
    IF NOT pg_has_role(
        (SELECT c.relowner FROM pg_class AS c WHERE c.oid = maintain_partitions.parent::regclass), 'USAGE') THEN
        RETURN QUERY SELECT 0, 0, false;
        RETURN;
    END IF;

    SELECT p.upper_at INTO low FROM partitions AS p
    WHERE p.parent = maintain_partitions.parent AND p.lower_at <= now() AND p.upper_at > now();
    IF low IS NULL THEN
        low := to_timestamp(ceil(extract(epoch FROM now())) + 1);
    END IF;
    WHILE low < horizon LOOP
        SELECT p.upper_at INTO covered FROM partitions AS p
        WHERE p.parent = maintain_partitions.parent AND p.lower_at <= low AND p.upper_at > low;
        IF covered IS NOT NULL THEN
            low := covered;
            CONTINUE;
        END IF;
        SELECT min(p.lower_at) INTO high FROM partitions AS p
        WHERE p.parent = maintain_partitions.parent AND p.lower_at > low;
        boundary := to_timestamp(ceil(extract(epoch FROM low) / extract(epoch FROM width)) * extract(epoch FROM width));
        IF boundary <= low THEN
            boundary := low + width;
        END IF;
        high := least(boundary, high);
        part := maintain_partitions.parent || '_' || to_char(low AT TIME ZONE 'UTC', 'YYYYMMDD"_"HH24MISS"_"MS');
        BEGIN
            PERFORM set_config('lock_timeout', '20ms', true);
            IF by_id THEN
                EXECUTE 'SELECT EXISTS (SELECT 1 FROM results_default WHERE id >= $1 AND id < $2)'
                    INTO moving USING uuid_v7_at(low), uuid_v7_at(high);
            ELSE
                EXECUTE 'SELECT EXISTS (SELECT 1 FROM events_default WHERE at >= $1 AND at < $2)'
                    INTO moving USING low, high;
            END IF;
            EXECUTE format('LOCK TABLE %I IN %s MODE', maintain_partitions.parent,
                           CASE WHEN moving THEN 'ACCESS EXCLUSIVE' ELSE 'SHARE ROW EXCLUSIVE' END);
            EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS)',
                           part, maintain_partitions.parent);
            IF by_id THEN
                EXECUTE format(
                    'WITH moved AS (DELETE FROM results_default WHERE id >= $1 AND id < $2 RETURNING *) '
                    'INSERT INTO %I SELECT * FROM moved', part)
                    USING uuid_v7_at(low), uuid_v7_at(high);
                EXECUTE format('ALTER TABLE results ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
                               part, uuid_v7_at(low), uuid_v7_at(high));
            ELSE
                EXECUTE format(
                    'WITH moved AS (DELETE FROM events_default WHERE at >= $1 AND at < $2 RETURNING *) '
                    'INSERT INTO %I SELECT * FROM moved', part)
                    USING low, high;
                EXECUTE format('ALTER TABLE events ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', part, low, high);
            END IF;
            INSERT INTO partitions (name, parent, lower_at, upper_at) VALUES (part, maintain_partitions.parent, low, high);
        EXCEPTION WHEN lock_not_available THEN
            EXIT;
        END;
        made := made + 1;
        low := high;
    END LOOP;

    IF expires_seconds IS NOT NULL THEN
        FOR old IN
            SELECT p.name, p.lower_at, p.upper_at FROM partitions AS p
            WHERE p.parent = maintain_partitions.parent AND p.upper_at < cutoff ORDER BY p.upper_at
        LOOP
            IF by_id THEN
                CONTINUE WHEN EXISTS (
                    SELECT 1 FROM tasks AS t WHERE t.id >= uuid_v7_at(old.lower_at) AND t.id < uuid_v7_at(old.upper_at));
                EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE finished_at >= $1)', old.name)
                    INTO recent USING cutoff;
                CONTINUE WHEN recent;
            END IF;
            BEGIN
                PERFORM set_config('lock_timeout', '20ms', true);
                EXECUTE format('DROP TABLE %I', old.name);
                DELETE FROM partitions WHERE name = old.name;
                gone := gone + 1;
            EXCEPTION WHEN lock_not_available THEN
                EXIT;
            END;
        END LOOP;
    END IF;
    RETURN QUERY SELECT made, gone, true;
END;
$$;
