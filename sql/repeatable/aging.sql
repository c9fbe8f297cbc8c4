-- Priority aging (maintenance, Configuration.priorityAging): a task due in its queue gains
-- one priority level for every `step_seconds` it has waited since run_at, up to 255, so that
-- low priorities never starve under steady high-priority load; its own priority is kept in
-- options `aged_from`. The claim orders by the aged priority, then by run_at, so an aged task
-- goes before newer tasks of the level it reached. Returns how many tasks it aged.
--
-- Every step is one descent of tasks_ready_idx (queue, -priority, run_at, id), in its order,
-- so no plan can read the table: a skip scan finds each (queue, priority) level present and
-- its oldest task (the level's first entry); only a level whose oldest task waited a whole
-- step is aged, its oldest `batch` tasks in index order. One statement over all levels left
-- the plan to the statistics: analyzed in the middle of a drain, they made it read a deep
-- backlog for seconds on every run (a million tasks over 10 queues x 5 priorities drained at
-- 0.6x while it did). With nothing old enough it costs one probe per level.
CREATE OR REPLACE FUNCTION age_priorities(step_seconds double precision, batch integer) RETURNS integer
LANGUAGE plpgsql
SET search_path FROM CURRENT
SET enable_seqscan = off
SET enable_sort = off
AS $$
DECLARE
    cutoff timestamptz := now() - make_interval(secs => step_seconds);
    level record;
    total integer := 0;
    changed integer;
BEGIN
    SELECT queue, -priority AS rank, run_at INTO level FROM tasks
    WHERE state IN ('queued', 'retry')
    ORDER BY queue, -priority, run_at, id
    LIMIT 1;
    WHILE FOUND LOOP
        IF level.run_at < cutoff AND level.rank > -255 THEN
            -- A task aged before counts from its own priority (aged_from): one that already has
            -- the level its wait gives is passed over, not counted against the batch.
            WITH candidates AS (
                SELECT id, aged FROM (
                    SELECT id, priority,
                           least(255, coalesce(CASE WHEN options ->> 'aged_from' ~ '^[0-9]{1,3}$' THEN (options ->> 'aged_from')::int END,
                                               priority)
                                      + floor(extract(epoch FROM now() - run_at) / step_seconds)::int) AS aged
                    FROM tasks
                    WHERE state IN ('queued', 'retry') AND queue = level.queue AND -priority = level.rank
                      AND run_at < cutoff
                    ORDER BY queue, -priority, run_at, id
                ) AS waiting
                WHERE aged > priority
                LIMIT batch
            ),
            locked AS (
                SELECT t.id FROM tasks AS t
                WHERE t.id = ANY (ARRAY(SELECT id FROM candidates)) AND t.state IN ('queued', 'retry')
                FOR UPDATE SKIP LOCKED
            )
            UPDATE tasks AS t
            SET priority = c.aged,
                options = CASE WHEN t.options ? 'aged_from' THEN t.options ELSE t.options || jsonb_build_object('aged_from', t.priority) END
            FROM candidates AS c
            WHERE t.id = c.id AND t.id = ANY (ARRAY(SELECT id FROM locked)) AND c.aged > t.priority;
            GET DIAGNOSTICS changed = ROW_COUNT;
            total := total + changed;
        END IF;
        SELECT queue, -priority AS rank, run_at INTO level FROM tasks
        WHERE state IN ('queued', 'retry') AND (queue, -priority) > (level.queue, level.rank)
        ORDER BY queue, -priority, run_at, id
        LIMIT 1;
    END LOOP;
    RETURN total;
END;
$$;
