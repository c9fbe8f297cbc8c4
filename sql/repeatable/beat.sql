-- The beat schedule's rules and wake-ups (tables: migrations/0002_beat.sql).

-- Why a cron expression is invalid (NULL when it is valid), naming the field, so that
-- bad text written with plain SQL is refused as clearly as from the CLI. Mirrors the
-- Swift parser: 5 fields of *, n, a-b, */s, a-b/s, n/s and lists; month and day names;
-- day of week 0-7; @yearly @annually @monthly @weekly @daily @midnight @hourly.
CREATE OR REPLACE FUNCTION cron_error(expression text) RETURNS text
LANGUAGE plpgsql IMMUTABLE
SET search_path FROM CURRENT
AS $$
DECLARE
    fields   text[] := regexp_split_to_array(lower(btrim(coalesce(expression, ''))), '\s+');
    names    text[] := ARRAY['minute', 'hour', 'day of month', 'month', 'day of week'];
    lows     int[]  := ARRAY[0, 0, 1, 1, 0];
    highs    int[]  := ARRAY[59, 23, 31, 12, 7];
    months   text[] := ARRAY['jan','feb','mar','apr','may','jun','jul','aug','sep','oct','nov','dec'];
    days     text[] := ARRAY['sun','mon','tue','wed','thu','fri','sat'];
    part     text;
    m        text[];
    bounds   int[];
    i        int;
    j        int;
    value    int;
    prefix   text := format('invalid cron expression "%s": ', btrim(coalesce(expression, '')));
BEGIN
    IF btrim(coalesce(expression, '')) = '' THEN
        RETURN prefix || 'it is empty';
    END IF;
    IF fields[1] LIKE '@%' THEN
        IF array_length(fields, 1) = 1 AND fields[1] IN ('@yearly','@annually','@monthly','@weekly','@daily','@midnight','@hourly') THEN
            RETURN NULL;
        END IF;
        RETURN prefix || format('unknown alias %s', fields[1]);
    END IF;
    IF array_length(fields, 1) <> 5 THEN
        RETURN prefix || format('expected 5 fields (minute hour day-of-month month day-of-week), got %s', array_length(fields, 1));
    END IF;
    FOR i IN 1..5 LOOP
        FOREACH part IN ARRAY string_to_array(fields[i], ',') LOOP
            m := regexp_match(part, '^(\*|[a-z0-9]+(?:-[a-z0-9]+)?)(?:/([0-9]+))?$');
            IF m IS NULL THEN
                RETURN prefix || format('%s field "%s" is not a number, range, step or list', names[i], part);
            END IF;
            IF m[2] IS NOT NULL AND m[2]::int = 0 THEN
                RETURN prefix || format('%s step must be at least 1', names[i]);
            END IF;
            IF m[1] = '*' THEN CONTINUE; END IF;
            bounds := ARRAY[]::int[];
            FOREACH part IN ARRAY string_to_array(m[1], '-') LOOP
                IF part ~ '^[0-9]+$' THEN
                    value := part::int;
                ELSIF i = 4 AND array_position(months, part) IS NOT NULL THEN
                    value := array_position(months, part);
                ELSIF i = 5 AND array_position(days, part) IS NOT NULL THEN
                    value := array_position(days, part) - 1;
                ELSE
                    RETURN prefix || format('unknown %s name "%s"', names[i], part);
                END IF;
                IF value < lows[i] OR value > highs[i] THEN
                    RETURN prefix || format('%s value %s is out of range %s-%s', names[i], value, lows[i], highs[i]);
                END IF;
                bounds := bounds || value;
            END LOOP;
            IF array_length(bounds, 1) = 2 AND bounds[1] > bounds[2] AND NOT (i = 5 AND bounds[2] = 0) THEN
                RETURN prefix || format('%s range %s-%s is reversed', names[i], bounds[1], bounds[2]);
            END IF;
        END LOOP;
    END LOOP;
    RETURN NULL;
END;
$$;

-- A definition edited by hand (anything but beat's own bookkeeping) stops being
-- overwritten by the code's schedule at start-up: the sync sets celeriac.sync = 'on'.
CREATE OR REPLACE FUNCTION periodic_tasks_touch() RETURNS trigger
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
DECLARE
    problem text;
BEGIN
    IF NEW.cron IS NOT NULL THEN
        problem := cron_error(NEW.cron);
        IF problem IS NOT NULL THEN
            RAISE EXCEPTION '%', problem USING ERRCODE = '22023',
                HINT = 'five fields: minute hour day-of-month month day-of-week, e.g. ''*/5 * * * *'', or @hourly, @daily…';
        END IF;
    END IF;
    NEW.updated_at := now();
    IF TG_OP = 'UPDATE' AND coalesce(current_setting('celeriac.sync', true), '') <> 'on'
       AND NEW.source = 'code' AND OLD.source = 'code'
       AND (NEW.task, NEW.args, NEW.kwargs, NEW.queue, NEW.priority, NEW.cron, NEW.interval_seconds,
            NEW.time_zone, NEW.enabled, NEW.misfire_policy)
           IS DISTINCT FROM
           (OLD.task, OLD.args, OLD.kwargs, OLD.queue, OLD.priority, OLD.cron, OLD.interval_seconds,
            OLD.time_zone, OLD.enabled, OLD.misfire_policy)
    THEN
        NEW.source := 'sql';
    END IF;
    RETURN NEW;
END;
$$;

CREATE OR REPLACE TRIGGER periodic_tasks_touch BEFORE INSERT OR UPDATE ON periodic_tasks
    FOR EACH ROW EXECUTE FUNCTION periodic_tasks_touch();

-- Wake beat processes when a definition changes (not on beat's own bookkeeping).
CREATE OR REPLACE FUNCTION periodic_tasks_changed() RETURNS trigger
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
BEGIN
    PERFORM pg_notify(topic_channel('schedules'), '');
    RETURN NULL;
END;
$$;

CREATE OR REPLACE TRIGGER periodic_tasks_changed_ins_del AFTER INSERT OR DELETE ON periodic_tasks
    FOR EACH STATEMENT EXECUTE FUNCTION periodic_tasks_changed();
CREATE OR REPLACE TRIGGER periodic_tasks_changed_upd
    AFTER UPDATE OF task, args, kwargs, queue, priority, cron, interval_seconds, time_zone, enabled, misfire_policy
    ON periodic_tasks
    FOR EACH STATEMENT EXECUTE FUNCTION periodic_tasks_changed();
