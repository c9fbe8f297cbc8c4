-- Priority aging (maintenance, Configuration.priorityAging): a task due in its queue gains
-- one priority level for every `step_seconds` it has waited since run_at, up to 255, so that
-- low priorities never starve under steady high-priority load; its own priority is kept in
-- options `aged_from`. The claim orders by the aged priority, then by run_at, so an aged task
-- goes before newer tasks of the level it reached. The levels present are found by a skip scan
-- of tasks_ready_idx (one probe per queue and priority), and each level's oldest `batch` rows
-- past one step are read in index order. Returns how many tasks it aged.
--
-- A function only for its settings: with `tasks` analyzed while empty (the queue's vacuum runs
-- then), the planner read the whole table once per level instead of probing the index, and a
-- million tasks over 10 queues x 5 priorities drained at half speed while it did.
CREATE OR REPLACE FUNCTION age_priorities(step_seconds double precision, batch integer) RETURNS integer
LANGUAGE sql
SET search_path FROM CURRENT
SET enable_seqscan = off
BEGIN ATOMIC
WITH RECURSIVE levels (queue, rank) AS (
    (SELECT queue, -priority FROM tasks WHERE state IN ('queued', 'retry') ORDER BY queue, -priority LIMIT 1)
    UNION ALL
    SELECT n.queue, n.rank
    FROM levels AS l
    CROSS JOIN LATERAL (
        SELECT queue, -priority AS rank FROM tasks
        WHERE state IN ('queued', 'retry') AND (queue, -priority) > (l.queue, l.rank)
        ORDER BY queue, -priority
        LIMIT 1
    ) AS n
),
candidates AS (
    SELECT c.id
    FROM levels AS l
    CROSS JOIN LATERAL (
        SELECT id FROM tasks
        WHERE state IN ('queued', 'retry') AND queue = l.queue AND -priority = l.rank
          AND run_at < now() - make_interval(secs => step_seconds)
        ORDER BY -priority, run_at, id
        LIMIT batch
        FOR UPDATE SKIP LOCKED
    ) AS c
    WHERE l.rank > -255
),
targets AS (
    SELECT t.id, t.priority,
           least(255, coalesce(CASE WHEN t.options ->> 'aged_from' ~ '^[0-9]{1,3}$' THEN (t.options ->> 'aged_from')::int END,
                               t.priority)
                      + floor(extract(epoch FROM now() - t.run_at) / step_seconds)::int) AS aged
    FROM tasks AS t
    WHERE t.id = ANY (ARRAY(SELECT id FROM candidates))
),
aged AS (
    UPDATE tasks AS t
    SET priority = g.aged,
        options = CASE WHEN t.options ? 'aged_from' THEN t.options ELSE t.options || jsonb_build_object('aged_from', t.priority) END
    FROM targets AS g
    WHERE t.id = ANY (ARRAY(SELECT id FROM targets WHERE aged > priority)) AND t.id = g.id
    RETURNING 1
)
SELECT count(*)::int FROM aged;
END;
