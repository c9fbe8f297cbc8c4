-- Statements on `tasks`: the queue of unfinished work (see migrations/0001_core.sql).
--
-- Every statement here can be pasted into psql for the default schema, and EXPLAINed with its
-- parameters:
--
--   PREPARE s AS <statement>;  EXPLAIN ANALYZE EXECUTE s(<values>);
--
-- Workers force generic plans (plan_cache_mode = force_generic_plan): check an edit with
-- `SET plan_cache_mode = force_generic_plan` before EXPLAIN.
--
-- Parameters are cast to base types (`$2::text`, not the column's domain): a parameter left to
-- inference as a domain goes through the domain's input function, which sets its checks up
-- from scratch for each parameter on every execution (~9,000 instructions an insert, callgrind).

-- name: insert_row
-- kind: template
-- The one definition of "insert a task row". Every path that creates a task (single and bulk
-- producers, the SQL function enqueue(), the next step of a chain, a beat tick) runs a block
-- derived from this one: `-- derive: tasks.insert_row` ... `-- end derive`, which the build
-- checks and `make sql` rewrites. A block keeps the columns whose inputs the statement's own
-- `task_input (fields) AS` relation provides; the others take the table's defaults. Each one
-- left out is work the server skips on every insert (~4% of a single insert, callgrind).
--
-- task_input fields: id uuid, name text, queue text, priority smallint, args jsonb,
-- kwargs jsonb, options jsonb (keys: sql/README.md), chain jsonb, eta timestamptz,
-- countdown interval, expires_at timestamptz, max_retries int, parent_id uuid, root_id uuid.
INSERT INTO celeriac.tasks (id, name, queue, priority, args, kwargs, options, chain,
                            run_at, expires_at, max_retries, parent_id, root_id)
SELECT i.id, i.name, i.queue, i.priority, i.args, i.kwargs, i.options, i.chain,
       coalesce(i.eta, now()) + coalesce(i.countdown, interval '0'),
       i.expires_at, i.max_retries, i.parent_id, i.root_id
FROM task_input AS i

-- name: insert_one
-- One task with every option. When the task is due now it NOTIFYs the queue: in a statement
-- that is its own transaction, only if a worker of the queue is waiting for work (0005; busy
-- workers claim again anyway); inside a caller's transaction (`notify_always`), which may
-- commit long after the insert, when a worker busy now may be waiting, always. Producer
-- inserts fail on an id that already exists, so a send retried after a lost answer knows the
-- first attempt landed.
-- param id: uuid
-- param name: text
-- param queue: text
-- param priority: int
-- param args: json
-- param kwargs: json
-- param options: json
-- param chain: json?
-- param eta: float8?
-- param countdown: float8?
-- param expires: float8?
-- param max_retries: int?
-- param parent_id: uuid?
-- param root_id: uuid?
-- param channel: text
-- param notify_always: bool
WITH task_input (id, name, queue, priority, args, kwargs, options, chain, eta, countdown, expires_at,
                 max_retries, parent_id, root_id) AS (
    VALUES ($1::uuid, $2::text, $3::text, $4::smallint, $5::jsonb, $6::jsonb, $7::jsonb, $8::jsonb,
            to_timestamp($9::float8), make_interval(secs => $10::float8), to_timestamp($11::float8),
            $12::int, $13::uuid, $14::uuid)
),
inserted AS (
    -- derive: tasks.insert_row
    INSERT INTO celeriac.tasks (id, name, queue, priority, args, kwargs, options, chain, run_at, expires_at,
                                max_retries, parent_id, root_id)
    SELECT i.id, i.name, i.queue, i.priority, i.args, i.kwargs, i.options, i.chain,
           coalesce(i.eta, now()) + coalesce(i.countdown, interval '0'), i.expires_at, i.max_retries, i.parent_id,
           i.root_id
    FROM task_input AS i
    -- end derive
    RETURNING queue, run_at <= now() AS due
)
SELECT pg_notify($15, queue) FROM inserted
WHERE due AND ($16 OR EXISTS (SELECT 1 FROM celeriac.workers AS w WHERE w.listening AND inserted.queue = ANY (w.queues)))

-- name: insert_one_now
-- As insert_one, for a task due at once (no eta or countdown): its NOTIFY needs no RETURNING.
-- param id: uuid
-- param name: text
-- param queue: text
-- param priority: int
-- param args: json
-- param kwargs: json
-- param options: json
-- param chain: json?
-- param expires: float8?
-- param max_retries: int?
-- param parent_id: uuid?
-- param root_id: uuid?
-- param channel: text
-- param notify_always: bool
WITH task_input (id, name, queue, priority, args, kwargs, options, chain, expires_at, max_retries,
                 parent_id, root_id) AS (
    VALUES ($1::uuid, $2::text, $3::text, $4::smallint, $5::jsonb, $6::jsonb, $7::jsonb, $8::jsonb,
            to_timestamp($9::float8), $10::int, $11::uuid, $12::uuid)
),
inserted AS (
    -- derive: tasks.insert_row
    INSERT INTO celeriac.tasks (id, name, queue, priority, args, kwargs, options, chain, expires_at, max_retries,
                                parent_id, root_id)
    SELECT i.id, i.name, i.queue, i.priority, i.args, i.kwargs, i.options, i.chain, i.expires_at, i.max_retries,
           i.parent_id, i.root_id
    FROM task_input AS i
    -- end derive
)
SELECT pg_notify($13, $3) WHERE $14 OR EXISTS (SELECT 1 FROM celeriac.workers AS w WHERE w.listening AND $3 = ANY (w.queues))

-- name: insert_one_simple
-- The usual call: due at once, no chain, expiry, retry override or parent. Nine parameters
-- instead of sixteen (~4% fewer instructions per insert, callgrind).
-- param id: uuid
-- param name: text
-- param queue: text
-- param priority: int
-- param args: json
-- param kwargs: json
-- param options: json
-- param channel: text
-- param notify_always: bool
WITH task_input (id, name, queue, priority, args, kwargs, options) AS (
    VALUES ($1::uuid, $2::text, $3::text, $4::smallint, $5::jsonb, $6::jsonb, $7::jsonb)
),
inserted AS (
    -- derive: tasks.insert_row
    INSERT INTO celeriac.tasks (id, name, queue, priority, args, kwargs, options)
    SELECT i.id, i.name, i.queue, i.priority, i.args, i.kwargs, i.options
    FROM task_input AS i
    -- end derive
)
SELECT pg_notify($8, $3) WHERE $9 OR EXISTS (SELECT 1 FROM celeriac.workers AS w WHERE w.listening AND $3 = ANY (w.queues))

-- name: insert_many
-- Many tasks in one statement from parallel arrays. Any array but the ids may hold a single
-- element, meaning "this value for every row": a bulk call usually repeats its task name,
-- queue, options and often its arguments, and each is then sent and parsed once instead of
-- once per row. One NOTIFY per queue in `wake` (the queues with a task due now, computed by
-- the caller, so no RETURNING is needed) when a worker of that queue is waiting.
-- param ids: uuid[]
-- param names: array
-- param queues: array
-- param priorities: array
-- param args: array
-- param kwargs: array
-- param options: array
-- param chains: array
-- param etas: array
-- param countdowns: array
-- param expires: array
-- param max_retries: array
-- param parent_ids: array
-- param root_ids: array
-- param channel: text
-- param wake: text[]
WITH task_input (id, name, queue, priority, args, kwargs, options, chain, eta, countdown, expires_at,
                 max_retries, parent_id, root_id) AS (
    SELECT u.id,
           CASE WHEN cardinality($2::text[]) = 1 THEN ($2::text[])[1] ELSE u.name END,
           CASE WHEN cardinality($3::text[]) = 1 THEN ($3::text[])[1] ELSE u.queue END,
           CASE WHEN cardinality($4::smallint[]) = 1 THEN ($4::smallint[])[1] ELSE u.priority END,
           CASE WHEN cardinality($5::jsonb[]) = 1 THEN ($5::jsonb[])[1] ELSE u.args END,
           CASE WHEN cardinality($6::jsonb[]) = 1 THEN ($6::jsonb[])[1] ELSE u.kwargs END,
           CASE WHEN cardinality($7::jsonb[]) = 1 THEN ($7::jsonb[])[1] ELSE u.options END,
           CASE WHEN cardinality($8::jsonb[]) = 1 THEN ($8::jsonb[])[1] ELSE u.chain END,
           to_timestamp(CASE WHEN cardinality($9::float8[]) = 1 THEN ($9::float8[])[1] ELSE u.eta END),
           make_interval(secs => CASE WHEN cardinality($10::float8[]) = 1 THEN ($10::float8[])[1] ELSE u.countdown END),
           to_timestamp(CASE WHEN cardinality($11::float8[]) = 1 THEN ($11::float8[])[1] ELSE u.expires END),
           CASE WHEN cardinality($12::int[]) = 1 THEN ($12::int[])[1] ELSE u.max_retries END,
           CASE WHEN cardinality($13::uuid[]) = 1 THEN ($13::uuid[])[1] ELSE u.parent_id END,
           CASE WHEN cardinality($14::uuid[]) = 1 THEN ($14::uuid[])[1] ELSE u.root_id END
    FROM unnest($1::uuid[], $2::text[], $3::text[], $4::smallint[], $5::jsonb[], $6::jsonb[], $7::jsonb[],
                $8::jsonb[], $9::float8[], $10::float8[], $11::float8[], $12::int[], $13::uuid[], $14::uuid[])
         AS u(id, name, queue, priority, args, kwargs, options, chain, eta, countdown, expires, max_retries,
              parent_id, root_id)
),
inserted AS (
    -- derive: tasks.insert_row
    INSERT INTO celeriac.tasks (id, name, queue, priority, args, kwargs, options, chain, run_at, expires_at,
                                max_retries, parent_id, root_id)
    SELECT i.id, i.name, i.queue, i.priority, i.args, i.kwargs, i.options, i.chain,
           coalesce(i.eta, now()) + coalesce(i.countdown, interval '0'), i.expires_at, i.max_retries, i.parent_id,
           i.root_id
    FROM task_input AS i
    -- end derive
)
SELECT pg_notify($15, queue) FROM unnest($16::text[]) AS queue
WHERE EXISTS (SELECT 1 FROM celeriac.workers AS w WHERE w.listening AND queue = ANY (w.queues))

-- name: insert_many_simple
-- The common bulk case, due now with no chain, eta or overrides: fewer arrays to send.
-- param ids: uuid[]
-- param names: array
-- param queues: array
-- param priorities: array
-- param args: array
-- param kwargs: array
-- param options: array
-- param channel: text
-- param wake: text[]
WITH task_input (id, name, queue, priority, args, kwargs, options) AS (
    SELECT u.id,
           CASE WHEN cardinality($2::text[]) = 1 THEN ($2::text[])[1] ELSE u.name END,
           CASE WHEN cardinality($3::text[]) = 1 THEN ($3::text[])[1] ELSE u.queue END,
           CASE WHEN cardinality($4::smallint[]) = 1 THEN ($4::smallint[])[1] ELSE u.priority END,
           CASE WHEN cardinality($5::jsonb[]) = 1 THEN ($5::jsonb[])[1] ELSE u.args END,
           CASE WHEN cardinality($6::jsonb[]) = 1 THEN ($6::jsonb[])[1] ELSE u.kwargs END,
           CASE WHEN cardinality($7::jsonb[]) = 1 THEN ($7::jsonb[])[1] ELSE u.options END
    FROM unnest($1::uuid[], $2::text[], $3::text[], $4::smallint[], $5::jsonb[], $6::jsonb[], $7::jsonb[])
         AS u(id, name, queue, priority, args, kwargs, options)
),
inserted AS (
    -- derive: tasks.insert_row
    INSERT INTO celeriac.tasks (id, name, queue, priority, args, kwargs, options)
    SELECT i.id, i.name, i.queue, i.priority, i.args, i.kwargs, i.options
    FROM task_input AS i
    -- end derive
)
SELECT pg_notify($8, queue) FROM unnest($9::text[]) AS queue
WHERE EXISTS (SELECT 1 FROM celeriac.workers AS w WHERE w.listening AND queue = ANY (w.queues))

-- name: claim
-- Claim up to `limit` runnable tasks from `queues` for `owner`, with a lease of
-- `lease_seconds`. Each queue is read through its own ordered range of the partial index (a
-- LATERAL per queue: `queue = ANY(...)` would scan and sort every runnable row instead).
-- With several queues, each gets an equal share of `limit` (the remainder goes one each to
-- the queues from `turn` on, so that it moves round them claim by claim), and the rest of
-- `limit` left by queues that came up short is shared among those that filled theirs, read
-- after the rows already taken in each. So a claim reads about `limit` entries whatever the
-- number of queues, and locks at most one row per queue it does not use. Queues take turns,
-- as Celery's consumers do: priority orders each queue, not the queues between them. (Reading
-- every queue's head first to rank the best `limit` overall read `limit` entries in each: a
-- 10-queue worker claimed at 0.41x of a one-queue worker. Locking `limit` rows in each queue
-- made it 0.21x.) `more` is true when a claim came back short but a queue filled its share:
-- there may be more, so the worker claims again rather than wait. SKIP LOCKED lets concurrent
-- workers take disjoint rows without waiting; the attempt is counted here, so a task that
-- kills its worker still uses up its attempts. Fewer rows than asked for means this worker
-- will wait for work, so producers should wake it (0005): `listening` is written only when
-- that changes. With `events` (worker -E), each claimed task gets its received and started
-- events (0016), announced once. When every task claimed is one of `relaxed_names` (relaxed
-- durability, acks_late: Durability.swift), the claim commits without waiting for its WAL to
-- reach disk; `restore_commit` puts the session's synchronous_commit back when a relaxed
-- completion before it in the same transaction turned it off and a claimed task is not
-- relaxed. A task under a rate or concurrency limit (0028) is claimed only when its limit lets
-- it start (admit_tasks, repeatable/limits.sql): limits in its options, and the rate limits of
-- the task types in `limited_names` (registered in task_types, 0029).
--
-- `after_*` (one entry per queue, or none) make the claim read a queue's range after the key
-- (-priority, run_at, id) given, not from its head: a worker passes the last key it claimed
-- when claims from the head have turned slow (ClaimHints.swift). Rows that turn up before
-- that key (a producer transaction committing late, a higher priority) wait for the next
-- claim without them, at most a second later. Each queue's last key claimed comes back in
-- `after_run_at` on that queue's last row, with `priority`. `seconds` is how long the claim
-- took in the database, without the completions written before it in the same round trip.
-- param queues: text[]
-- param limit: int
-- param owner: text
-- param lease_seconds: float8
-- param events: bool
-- param events_channel: text
-- param relaxed_names: text[]
-- param restore_commit: text?
-- param after_queues: text[]
-- param after_priorities: int[]
-- param after_run_ats: text[]
-- param after_ids: uuid[]
-- param turn: int
-- param limited_names: text[]
-- column id: uuid
-- column name: text
-- column args: json
-- column kwargs: json
-- column options: json
-- column attempt: int
-- column retries: int
-- column max_retries: int?
-- column queue: text
-- column expired: bool
-- column root_id: uuid?
-- column parent_id: uuid?
-- column wait: float8
-- column priority: int
-- column after_run_at: text?
-- column seconds: float8
-- column more: bool
WITH open_queues AS (
    -- A paused queue (paused_queues, 0015) gives nothing. Without a key, each queue is read
    -- from before its first possible row.
    SELECT u.name, (row_number() OVER (ORDER BY u.position) - 1)::int AS slot, (count(*) OVER ())::int AS n,
           coalesce(-a.priority, -256) AS after_rank, coalesce(a.run_at, '-infinity') AS after_run_at,
           coalesce(a.id, '00000000-0000-0000-0000-000000000000') AS after_id
    FROM unnest($1::text[]) WITH ORDINALITY AS u(name, position)
    LEFT JOIN unnest($9::text[], $10::int[], $11::timestamptz[], $12::uuid[]) AS a(queue, priority, run_at, id)
        ON a.queue = u.name
    WHERE NOT EXISTS (SELECT 1 FROM celeriac.paused_queues AS p WHERE p.queue = u.name)
),
shares AS (
    SELECT q.*, $2 / q.n + CASE WHEN (q.slot - $13 % q.n + q.n) % q.n < $2 % q.n THEN 1 ELSE 0 END AS take
    FROM open_queues AS q
),
first_picked AS (
    SELECT c.id, c.name, c.queue, c.attempt, c.priority, c.run_at, c.options
    FROM shares AS s
    CROSS JOIN LATERAL (
        SELECT id, priority, run_at, name, queue, attempt, options FROM celeriac.tasks
        WHERE state IN ('queued', 'retry') AND queue = s.name AND run_at <= now()
          AND (-priority, run_at, id) > (s.after_rank, s.after_run_at, s.after_id)
        ORDER BY -priority, run_at, id
        LIMIT s.take
        FOR UPDATE SKIP LOCKED
    ) AS c
    WHERE s.take > 0
),
-- The queues that filled their share, each with the last row taken in it.
filled AS (
    SELECT l.queue, l.rank, l.run_at, l.id, row_number() OVER (ORDER BY s.slot)::int - 1 AS slot,
           (count(*) OVER ())::int AS n
    FROM (SELECT DISTINCT ON (f.queue) f.queue, -f.priority AS rank, f.run_at, f.id, count(*) OVER (PARTITION BY f.queue) AS got
          FROM first_picked AS f ORDER BY f.queue, -f.priority DESC, f.run_at DESC, f.id DESC) AS l
    JOIN shares AS s ON s.name = l.queue
    WHERE l.got = s.take
),
rest AS (
    SELECT $2 - (SELECT count(*) FROM first_picked)::int AS n
),
topped_up AS (
    SELECT c.id, c.name, c.queue, c.attempt, c.priority, c.run_at, c.options
    FROM filled AS f
    CROSS JOIN rest AS r
    CROSS JOIN LATERAL (
        SELECT id, priority, run_at, name, queue, attempt, options FROM celeriac.tasks
        WHERE state IN ('queued', 'retry') AND queue = f.queue AND run_at <= now()
          AND (-priority, run_at, id) > (f.rank, f.run_at, f.id)
        ORDER BY -priority, run_at, id
        LIMIT (r.n + f.n - 1) / f.n
        FOR UPDATE SKIP LOCKED
    ) AS c
    WHERE r.n > 0
),
picked AS (
    SELECT * FROM first_picked
    UNION ALL
    (SELECT * FROM topped_up LIMIT (SELECT n FROM rest))
),
-- Tasks under a rate or concurrency limit (0028) start only when admit_tasks() lets them; the
-- others are moved to when they may, and stay queued. Claims of other tasks never call it.
limited AS (
    SELECT array_agg(p.id) AS ids, array_agg(p.name) AS names, array_agg(p.options) AS options
    FROM picked AS p WHERE p.name = ANY ($14::text[]) OR p.options ?| ARRAY['rate_limit', 'concurrency_limit']
),
held AS (
    SELECT a.id FROM limited AS l CROSS JOIN LATERAL celeriac.admit_tasks(l.ids, l.names, l.options) AS a
    WHERE l.ids IS NOT NULL
),
more AS (
    SELECT (SELECT count(*) FROM picked) < $2 AND EXISTS (SELECT 1 FROM filled) AS more
),
-- Each queue's last row claimed, in claim order.
lasts AS (
    SELECT DISTINCT ON (p.queue) p.id FROM picked AS p ORDER BY p.queue, -p.priority DESC, p.run_at DESC, p.id DESC
),
listening AS (
    UPDATE celeriac.workers SET listening = NOT listening
    WHERE id = $3 AND listening <> ((SELECT count(*) FROM picked) < $2 AND NOT (SELECT more FROM more))
),
-- The events take the picked rows as they were before this statement's update.
logged AS (
    INSERT INTO celeriac.events (kind, worker, task_ids, names, queues, attempts)
    SELECT k.kind, $3, b.ids, b.names, b.queues, b.attempts
    FROM (SELECT array_agg(p.id) AS ids, array_agg(p.name) AS names, array_agg(p.queue) AS queues,
                 array_agg(p.attempt + 1) AS attempts
          FROM picked AS p
          WHERE $5 AND NOT EXISTS (SELECT 1 FROM held AS h WHERE h.id = p.id)
          HAVING count(*) > 0) AS b
    CROSS JOIN (VALUES ('received'), ('started')) AS k(kind)
    WHERE $5
    RETURNING 1
),
announced AS (
    SELECT pg_notify($6, $3) WHERE EXISTS (SELECT 1 FROM logged)
),
commit_mode AS (
    SELECT set_config('synchronous_commit', CASE WHEN r.relaxed THEN 'off' ELSE $8 END, true)
    FROM (SELECT cardinality($7::text[]) > 0 AND NOT EXISTS (SELECT 1 FROM picked AS p WHERE p.name <> ALL ($7::text[]))
              AS relaxed) AS r
    WHERE r.relaxed OR $8 IS NOT NULL
)
UPDATE celeriac.tasks AS t
SET state = 'started', owner = $3, attempt = t.attempt + 1, started_at = now(),
    lease_expires_at = now() + make_interval(secs => $4::float8)
-- An array, not a join: the generic plan must not guess thousands of picked rows and
-- hash-join the whole table.
WHERE t.id = ANY (ARRAY(SELECT p.id FROM picked AS p WHERE NOT EXISTS (SELECT 1 FROM held AS h WHERE h.id = p.id)))
RETURNING t.id, t.name, t.args::text AS args, t.kwargs::text AS kwargs, t.options::text AS options, t.attempt,
          t.retries, t.max_retries, t.queue, (t.expires_at IS NOT NULL AND t.expires_at < now()) AS expired,
          t.root_id, t.parent_id, extract(epoch FROM now() - t.run_at)::float8 AS wait,
          CASE WHEN $5 THEN (SELECT count(*) FROM announced) END AS announced,
          (SELECT count(*) FROM commit_mode) AS commit_mode, t.priority::int AS priority,
          CASE WHEN t.id = ANY (ARRAY(SELECT id FROM lasts)) THEN t.run_at::text END AS after_run_at,
          extract(epoch FROM clock_timestamp() - statement_timestamp())::float8 AS seconds,
          (SELECT more FROM more) AS more

-- name: next_due
-- Seconds until the next waiting task of these queues is due (NULL if none), read from the
-- head of each queue's index range, or after the keys given as in `claim`. With mixed
-- priorities this may name a later task than the earliest; the poll interval bounds the
-- error.
-- param queues: text[]
-- param after_queues: text[]
-- param after_priorities: int[]
-- param after_run_ats: text[]
-- param after_ids: uuid[]
-- column seconds: float8?
SELECT extract(epoch FROM min(head.run_at) - now())::float8 AS seconds
FROM unnest($1::text[]) AS q(name)
LEFT JOIN unnest($2::text[], $3::int[], $4::timestamptz[], $5::uuid[]) AS a(queue, priority, run_at, id)
    ON a.queue = q.name
CROSS JOIN LATERAL (
    SELECT run_at FROM celeriac.tasks
    WHERE state IN ('queued', 'retry') AND queue = q.name
      AND (-priority, run_at, id) > (coalesce(-a.priority, -256), coalesce(a.run_at, '-infinity'),
                                     coalesce(a.id, '00000000-0000-0000-0000-000000000000'))
    ORDER BY -priority, run_at, id
    LIMIT 1
) AS head

-- name: complete
-- Write a batch of outcomes, fenced by `owner` and attempt: a worker that lost its lease
-- cannot overwrite anything. Succeeded, failed and revoked rows move to results; retries and snoozes go
-- back to the queue; the next chain step is inserted by this same statement (unless its
-- arguments exceed max_payload_bytes: then it and the rest of the chain fail), and the
-- remaining steps of a failed chain are recorded as failed (ChainAborted), so waiting on a
-- chain's last result never hangs. Outcome `ignored` is a success of a task with
-- ignore_result: its value goes down the chain but no results row is kept (failures are).
-- With `events` (worker -E), the same statement records an event per outcome (0016),
-- announced once. (The counters of 0017 are added by the worker at its heartbeat:
-- task_stats.add.) With `relaxed` (every task of the batch has relaxed durability and
-- acks_late: Durability.swift), it commits without waiting for its WAL to reach disk.
-- Returns the ids the fence refused (usually none).
-- param ids: uuid[]
-- param attempts: int[]
-- param outcomes: text[]
-- param payloads: text[]
-- param countdowns: float8[]
-- param runtimes: float8[]
-- param owner: text
-- param channel: text
-- param events: bool
-- param events_channel: text
-- param relaxed: bool
-- column refused: uuid[]
WITH input AS (
    SELECT * FROM unnest($1::uuid[], $2::int[], $3::text[], $4::jsonb[], $5::float8[], $6::float8[])
        AS i(id, attempt, outcome, payload, countdown, runtime)
),
-- Each outcome probes its own row by primary key (a LATERAL, so the generic plan cannot turn it
-- into a nested loop re-reading the input for every running task).
owned AS (
    SELECT t.id, i.outcome, i.payload, i.countdown, i.runtime
    FROM input AS i
    CROSS JOIN LATERAL (
        SELECT id, state, owner, attempt FROM celeriac.tasks
        WHERE id = i.id OFFSET 0 FOR UPDATE
    ) AS t
    WHERE t.state = 'started' AND t.owner = $7 AND t.attempt = i.attempt
),
-- The retried and finished rows are found by their ids alone, as one index scan: joined with
-- `owned` in the UPDATE or DELETE, a plan could either read all of tasks_pkey for every batch
-- (with `tasks` thought empty after a vacuum of an empty queue: 16 s a batch at a million
-- waiting) or probe the whole id array once per row (74 x 74 probes, 10,000 buffers a batch,
-- a third of the drain's database time). Each outcome's own values join the rows afterwards.
-- A snoozed task (TaskContext.snooze) goes back the same way with its retries and last error
-- unchanged.
retried_rows AS (
    UPDATE celeriac.tasks AS t
    SET owner = NULL, lease_expires_at = NULL,
        -- A rate-limited task's reserved moment (0028) was spent by this attempt.
        options = CASE WHEN t.options ? 'rate_reserved' THEN t.options - 'rate_reserved' ELSE t.options END,
        (state, retries, last_error, run_at) = (
            SELECT CASE WHEN o.outcome = 'snoozed' AND t.retries = 0 THEN 'queued' ELSE 'retry' END,
                   t.retries + CASE WHEN o.outcome = 'retry' THEN 1 ELSE 0 END,
                   CASE WHEN o.outcome = 'retry' THEN o.payload ELSE t.last_error END,
                   now() + make_interval(secs => o.countdown)
            FROM owned AS o WHERE o.id = t.id)
    WHERE t.id = ANY (ARRAY(SELECT id FROM owned WHERE outcome IN ('retry', 'snoozed')))
    RETURNING t.id, t.name, t.queue, t.attempt, t.started_at
),
retried AS (
    SELECT r.id, r.name, r.queue, r.attempt, r.started_at, o.outcome, o.payload, o.runtime, o.countdown
    FROM retried_rows AS r JOIN owned AS o ON o.id = r.id
),
finished_rows AS (
    DELETE FROM celeriac.tasks AS t
    WHERE t.id = ANY (ARRAY(SELECT id FROM owned WHERE outcome NOT IN ('retry', 'snoozed')))
    RETURNING t.id, t.name, t.queue, t.args, t.kwargs, t.options, t.chain, t.attempt, t.retries, t.owner,
              t.parent_id, t.root_id, t.created_at, t.started_at
),
finished AS (
    SELECT f.id, f.name, f.queue, f.args, f.kwargs, f.options, f.chain, f.attempt, f.retries, f.owner, f.parent_id,
           f.root_id, f.created_at, f.started_at, o.outcome, o.payload, o.runtime
    FROM finished_rows AS f JOIN owned AS o ON o.id = f.id
),
logged AS (
    INSERT INTO celeriac.events (kind, worker, task_ids, names, queues, attempts, runtimes, errors, detail)
    SELECT e.kind, $7, array_agg(e.id), array_agg(e.name), array_agg(e.queue), array_agg(e.attempt),
           array_agg(e.runtime), CASE WHEN e.kind <> 'succeeded' THEN array_agg(e.payload) END,
           CASE WHEN e.kind IN ('retried', 'snoozed') THEN jsonb_build_object('countdown', array_agg(e.countdown),
                                                                'started_at', array_agg(e.started_at)) END
    FROM (SELECT CASE f.outcome WHEN 'ignored' THEN 'succeeded' ELSE f.outcome END AS kind,
                 f.id, f.name, f.queue, f.attempt, f.runtime, f.payload, 0::float8 AS countdown, f.started_at
          FROM finished AS f
          UNION ALL
          SELECT CASE r.outcome WHEN 'snoozed' THEN 'snoozed' ELSE 'retried' END, r.id, r.name, r.queue, r.attempt,
                 r.runtime, r.payload, r.countdown, r.started_at
          FROM retried AS r) AS e
    -- Retries are recorded even without -E: every attempt's error stays in the task's history.
    WHERE $9 OR e.kind = 'retried'
    GROUP BY e.kind
),
-- The next step of each chain that goes on, with its arguments (the result first unless the
-- step is immutable) and whether they fit the workers' max_payload_bytes (settings, 0012), as
-- enqueue() checks: a step too large is not inserted; it and the rest of its chain fail
-- (PayloadTooLarge, then ChainAborted). The limit is read only when some chain goes on.
next_steps AS (
    SELECT f.id, f.name, f.queue, f.root_id, f.chain, first.step, a.args,
           octet_length(a.args::text) + octet_length(coalesce(first.step->'kwargs', '{}')::text)
               > (SELECT coalesce((SELECT (value #>> '{}')::bigint FROM celeriac.settings WHERE key = 'max_payload_bytes'),
                                  1048576)) AS too_large
    FROM finished AS f
    CROSS JOIN LATERAL (SELECT f.chain -> 0 AS step) AS first
    CROSS JOIN LATERAL (
        SELECT CASE WHEN coalesce((first.step->>'immutable')::boolean, false) THEN coalesce(first.step->'args', '[]')
                    ELSE jsonb_build_array(f.payload) || coalesce(first.step->'args', '[]') END AS args
    ) AS a
    WHERE f.outcome IN ('succeeded', 'ignored') AND jsonb_typeof(f.chain) = 'array' AND jsonb_array_length(f.chain) > 0
      AND celeriac.valid_chain_step(first.step)
),
-- A group's member, or a task with callbacks, keeps its row even with ignore_result: the
-- trigger on results (repeatable/chords.sql) counts the chord down and sends the callbacks from it.
result_input (id, name, queue, state, args, kwargs, result, error, attempt, retries, worker, parent_id, root_id,
              created_at, started_at, runtime, group_id, callbacks) AS (
    SELECT id, name, queue, CASE WHEN outcome = 'ignored' THEN 'succeeded' ELSE outcome END, args, kwargs,
           CASE WHEN outcome IN ('succeeded', 'ignored') THEN payload END,
           CASE WHEN outcome NOT IN ('succeeded', 'ignored') THEN payload END,
           attempt, retries, owner, parent_id, root_id, created_at, started_at, runtime,
           celeriac.option_group(options), celeriac.option_callbacks(options)
    FROM finished
    WHERE outcome <> 'ignored' OR celeriac.option_keeps_result(options)
    UNION ALL
    SELECT a.id, a.name, a.queue, CASE WHEN f.outcome = 'revoked' THEN 'revoked' ELSE 'failed' END, a.args, a.kwargs,
           NULL, a.error, 0, 0, NULL, a.parent_id, a.root_id, now(), NULL, NULL, a.group_id, a.callbacks
    FROM finished AS f
    CROSS JOIN LATERAL celeriac.aborted_chain_steps(f.id, f.name, f.queue, f.root_id, f.chain, f.payload) AS a
    WHERE f.outcome NOT IN ('succeeded', 'ignored')
    UNION ALL
    SELECT a.id, a.name, a.queue, 'failed', CASE WHEN a.id = (n.step->>'id')::uuid THEN n.args ELSE a.args END, a.kwargs,
           NULL,
           CASE WHEN a.id = (n.step->>'id')::uuid
                THEN jsonb_build_object('type', 'PayloadTooLarge',
                                        'message', format('the arguments of %s (the result of %s[%s] and its own) take %s bytes, more than the limit of %s (max payload bytes)',
                                                          n.step->>'task', n.name, n.id,
                                                          octet_length(n.args::text) + octet_length(coalesce(n.step->'kwargs', '{}')::text),
                                                          coalesce((SELECT (value #>> '{}')::bigint FROM celeriac.settings
                                                                    WHERE key = 'max_payload_bytes'), 1048576)))
                ELSE jsonb_build_object('type', 'ChainAborted',
                                        'message', format('an earlier step of the chain, %s[%s], could not be sent: its arguments are too large',
                                                          n.step->>'task', n.step->>'id')) END,
           0, 0, NULL, a.parent_id, a.root_id, now(), NULL, NULL, a.group_id, a.callbacks
    FROM next_steps AS n
    CROSS JOIN LATERAL celeriac.aborted_chain_steps(n.id, n.name, n.queue, n.root_id, n.chain, NULL) AS a
    WHERE n.too_large
),
stored AS (
    -- derive: results.insert_row
    INSERT INTO celeriac.results (id, name, queue, state, args, kwargs, result, error, attempt, retries, worker,
                                  parent_id, root_id, created_at, started_at, runtime, group_id, callbacks)
    SELECT r.id, r.name, r.queue, r.state, r.args, r.kwargs, r.result, r.error, r.attempt, r.retries, r.worker,
           r.parent_id, r.root_id, r.created_at, r.started_at, r.runtime, r.group_id, r.callbacks
    FROM result_input AS r
    -- end derive
    ON CONFLICT (id) DO NOTHING
),
task_input (id, name, queue, priority, args, kwargs, options, chain, eta, countdown, expires_at, max_retries,
            parent_id, root_id) AS (
    SELECT (n.step->>'id')::uuid, n.step->>'task', coalesce(n.step->>'queue', n.queue),
           coalesce((n.step->>'priority')::smallint, 0), n.args,
           coalesce(n.step->'kwargs', '{}'), coalesce(n.step->'options', '{}'),
           CASE WHEN jsonb_array_length(n.chain) > 1 THEN n.chain - 0 END,
           to_timestamp((n.step->>'eta')::float8), make_interval(secs => (n.step->>'countdown')::float8),
           to_timestamp((n.step->>'expires')::float8), (n.step->>'max_retries')::int,
           n.id, coalesce(n.root_id, n.id)
    FROM next_steps AS n
    WHERE NOT n.too_large
),
successors AS (
    -- derive: tasks.insert_row
    INSERT INTO celeriac.tasks (id, name, queue, priority, args, kwargs, options, chain, run_at, expires_at,
                                max_retries, parent_id, root_id)
    SELECT i.id, i.name, i.queue, i.priority, i.args, i.kwargs, i.options, i.chain,
           coalesce(i.eta, now()) + coalesce(i.countdown, interval '0'), i.expires_at, i.max_retries, i.parent_id,
           i.root_id
    FROM task_input AS i
    -- end derive
    ON CONFLICT (id) DO NOTHING
    RETURNING queue
),
-- A chain whose next step is a group (repeatable/chords.sql): its members and its row, a chord
-- when a step follows it. Rare: checked only for chains that go on.
started_groups AS (
    SELECT celeriac.start_step(f.chain -> 0, f.chain - 0, f.payload, f.id, coalesce(f.root_id, f.id))
    FROM finished AS f
    WHERE f.outcome IN ('succeeded', 'ignored') AND jsonb_typeof(f.chain) = 'array'
      AND jsonb_typeof(f.chain -> 0 -> 'group') = 'array' AND celeriac.valid_group_step(f.chain -> 0)
),
woken AS (
    SELECT pg_notify($8, queue) FROM (
        SELECT queue FROM successors
        UNION SELECT queue FROM retried WHERE countdown <= 0
    ) AS q
    UNION ALL
    SELECT pg_notify($10, $7) WHERE $9
),
commit_mode AS (
    SELECT set_config('synchronous_commit', 'off', true) WHERE $11
)
-- The refused ids are looked for only when some are missing (read from $1, so that `input`
-- stays a single reference the planner can fold into `owned`).
SELECT CASE WHEN count(*) = cardinality($1::uuid[]) THEN '{}'::uuid[]
            ELSE ARRAY(SELECT unnest($1::uuid[]) EXCEPT SELECT id FROM owned) END AS refused,
       (SELECT count(*) FROM woken) AS woken, (SELECT count(*) FROM commit_mode) AS commit_mode,
       (SELECT count(*) FROM started_groups) AS started_groups
FROM owned

-- name: age_priorities
-- Priority aging (maintenance, Configuration.priorityAging): age_priorities() in
-- repeatable/aging.sql.
-- param step_seconds: float8
-- param batch: int
-- column aged: int
SELECT celeriac.age_priorities($1::float8, $2::int) AS aged

-- name: renew_leases
-- Extend the leases of the tasks `held` that `owner` still holds, and its registry row.
-- Returns the ids renewed (a running task missing from them was taken over) and those of them
-- revoked (revocations, 0013), with their reasons: how a worker that missed the control
-- message still stops them. With `events` (worker -E), a worker-heartbeat event with the
-- number of tasks running and the worker's load is recorded and announced. The worker names
-- its tasks, rather than the statement finding them by owner: one primary-key lookup each,
-- where tasks_owner_idx holds an entry for every task the worker ran since the last vacuum
-- (all of them while a transaction held open elsewhere keeps vacuum back). A task the worker
-- does not know it holds (a claim whose answer was lost) is left to lapse and be rescued.
-- param owner: text
-- param held: uuid[]
-- param lease_seconds: float8
-- param events: bool
-- param events_channel: text
-- param running: int
-- param concurrency: int
-- column renewed: uuid[]
-- column revoked: uuid[]
-- column reasons: text[]
-- column terminate: text[]
WITH renewed AS (
    UPDATE celeriac.tasks SET lease_expires_at = now() + make_interval(secs => $3::float8)
    WHERE id = ANY ($2::uuid[]) AND owner = $1 AND state = 'started'
    RETURNING id
),
registry AS (
    UPDATE celeriac.workers SET last_heartbeat_at = now() WHERE id = $1
),
logged AS (
    INSERT INTO celeriac.events (kind, worker, detail)
    SELECT 'worker-heartbeat', $1, jsonb_build_object('active', $6::int, 'concurrency', $7::int)
    WHERE $4
),
announced AS (
    SELECT pg_notify($5, $1) WHERE $4
),
revoked AS (
    SELECT v.task_id, v.reason, v.terminate FROM celeriac.revocations AS v JOIN renewed AS r ON r.id = v.task_id
)
SELECT coalesce((SELECT array_agg(id) FROM renewed), '{}') AS renewed,
       coalesce((SELECT array_agg(task_id ORDER BY task_id) FROM revoked), '{}') AS revoked,
       coalesce((SELECT array_agg(reason ORDER BY task_id) FROM revoked), '{}') AS reasons,
       coalesce((SELECT array_agg(terminate::text ORDER BY task_id) FROM revoked), '{}') AS terminate,
       (SELECT count(*) FROM announced) AS announced

-- name: give_back
-- Give back to the queue every task `owner` holds except `keep` (running, or with an outcome
-- to write): claims whose answer was lost with the connection, leases that lapsed, or every
-- running task at a cold stop. The attempt is not counted.
-- Each one is recorded as a `rejected` event (0016) with the reason, and announced.
-- param owner: text
-- param keep: uuid[]
-- param reason: text
-- param events_channel: text
-- column given_back: int
WITH given AS (
    UPDATE celeriac.tasks
    SET state = CASE WHEN retries > 0 THEN 'retry' ELSE 'queued' END,
        owner = NULL, lease_expires_at = NULL, attempt = greatest(attempt - 1, 0)
    WHERE owner = $1 AND state = 'started' AND NOT (id = ANY ($2::uuid[]))
    RETURNING id, name, queue, attempt + 1 AS attempt, started_at
),
logged AS (
    INSERT INTO celeriac.events (kind, worker, task_ids, names, queues, attempts, detail)
    SELECT 'rejected', $1, array_agg(g.id), array_agg(g.name), array_agg(g.queue), array_agg(g.attempt),
           jsonb_build_object('reason', $3::text, 'started_at', array_agg(g.started_at))
    FROM given AS g
    HAVING count(*) > 0
)
SELECT count(*)::int AS given_back,
       (SELECT count(*) FROM (SELECT pg_notify($4, $1) WHERE EXISTS (SELECT 1 FROM given)) AS n) AS announced
FROM given

-- name: rescue
-- Expired leases (the worker died, hung or lost the network): tasks sent with acks_late and
-- attempts left go back to the queue; the rest move to results as failed (WorkerLostError),
-- or revoked when they were revoked while running (revocations), aborting the rest of their
-- chain. Each option is the row's own (a per-call override), else
-- the task type's as its workers registered it (task_types), else the app's default
-- (`default_max_retries`; acks_late false).
-- Every expired task is recorded as a `lease-lost` event (0016), with what became of it.
-- param channel: text
-- param default_max_retries: int
-- param events_channel: text
-- column requeued: int
-- column failed: int
WITH expired AS (
    SELECT t.id, t.name, t.queue, t.owner, t.attempt, t.started_at, v.reason AS revoked_reason,
           v.task_id IS NULL AND coalesce(
               CASE WHEN jsonb_typeof(t.options->'acks_late') = 'boolean' THEN (t.options->>'acks_late')::boolean END,
               ty.acks_late, false)
           AND t.attempt <= coalesce(
               t.max_retries,
               CASE WHEN coalesce(t.options->>'max_retries', '') ~ '^[0-9]{1,9}$'
                    THEN (t.options->>'max_retries')::int END,
               ty.max_retries,
               $2) AS requeue
    FROM celeriac.tasks AS t
    LEFT JOIN celeriac.task_types AS ty ON ty.name = t.name
    LEFT JOIN celeriac.revocations AS v ON v.task_id = t.id
    WHERE t.state = 'started' AND t.lease_expires_at < now()
    FOR UPDATE OF t SKIP LOCKED
),
-- Rows found by their ids alone, as in `complete`: joined with `expired`, a plan could read all
-- of tasks_pkey, or probe the whole id array once per row.
requeued AS (
    UPDATE celeriac.tasks AS t
    SET state = CASE WHEN t.retries > 0 THEN 'retry' ELSE 'queued' END, owner = NULL,
        lease_expires_at = NULL, run_at = now(),
        last_error = jsonb_build_object('type', 'WorkerLostError',
            'message', format('worker %s lost its lease during attempt %s', t.owner, t.attempt))
    WHERE t.id = ANY (ARRAY(SELECT id FROM expired WHERE requeue))
    RETURNING t.queue
),
lost_rows AS (
    DELETE FROM celeriac.tasks AS t
    WHERE t.id = ANY (ARRAY(SELECT id FROM expired WHERE NOT requeue))
    RETURNING t.id, t.name, t.queue, t.args, t.kwargs, t.options, t.chain, t.attempt, t.retries, t.owner,
              t.parent_id, t.root_id, t.created_at, t.started_at
),
lost AS (
    SELECT l.id, l.name, l.queue, l.args, l.kwargs, l.options, l.chain, l.attempt, l.retries, l.owner, l.parent_id,
           l.root_id, l.created_at, l.started_at,
           CASE WHEN e.revoked_reason IS NOT NULL THEN 'revoked' ELSE 'failed' END AS state,
           CASE WHEN e.revoked_reason IS NOT NULL
                THEN jsonb_build_object('type', 'TaskRevokedError', 'message', e.revoked_reason)
                ELSE jsonb_build_object('type', 'WorkerLostError',
                         'message', format('Worker exited prematurely: %s lost its lease during attempt %s',
                                           l.owner, l.attempt)) END AS error
    FROM lost_rows AS l JOIN expired AS e ON e.id = l.id
),
result_input (id, name, queue, state, args, kwargs, error, attempt, retries, worker, parent_id, root_id,
              created_at, started_at, group_id, callbacks) AS (
    SELECT id, name, queue, state, args, kwargs, error, attempt, retries, owner, parent_id, root_id,
           created_at, started_at, celeriac.option_group(options), celeriac.option_callbacks(options)
    FROM lost
    UNION ALL
    SELECT a.id, a.name, a.queue, l.state, a.args, a.kwargs, a.error, 0, 0, NULL, a.parent_id, a.root_id,
           now(), NULL, a.group_id, a.callbacks
    FROM lost AS l
    CROSS JOIN LATERAL celeriac.aborted_chain_steps(l.id, l.name, l.queue, l.root_id, l.chain, l.error) AS a
),
stored AS (
    -- derive: results.insert_row
    INSERT INTO celeriac.results (id, name, queue, state, args, kwargs, error, attempt, retries, worker, parent_id,
                                  root_id, created_at, started_at, group_id, callbacks)
    SELECT r.id, r.name, r.queue, r.state, r.args, r.kwargs, r.error, r.attempt, r.retries, r.worker, r.parent_id,
           r.root_id, r.created_at, r.started_at, r.group_id, r.callbacks
    FROM result_input AS r
    -- end derive
    ON CONFLICT (id) DO NOTHING
),
logged AS (
    INSERT INTO celeriac.events (kind, worker, task_ids, names, queues, attempts, errors, detail)
    SELECT 'lease-lost', e.owner, array_agg(e.id), array_agg(e.name), array_agg(e.queue), array_agg(e.attempt),
           array_agg(jsonb_build_object('type', 'WorkerLostError',
                                        'message', format('worker %s lost its lease during attempt %s', e.owner,
                                                          e.attempt))),
           jsonb_build_object('outcome', array_agg(CASE WHEN e.requeue THEN 'requeued'
                                                         WHEN e.revoked_reason IS NOT NULL THEN 'revoked'
                                                         ELSE 'failed' END),
                              'started_at', array_agg(e.started_at))
    FROM expired AS e
    GROUP BY e.owner
),
woken AS (
    SELECT pg_notify($1, queue) FROM (SELECT DISTINCT queue FROM requeued) AS q
    UNION ALL
    SELECT pg_notify($3, '') WHERE EXISTS (SELECT 1 FROM expired)
)
SELECT (SELECT count(*) FROM requeued)::int AS requeued, (SELECT count(*) FROM lost)::int AS failed,
       (SELECT count(*) FROM woken) AS woken

-- name: oldest_snapshot
-- The session whose snapshot is oldest, which holds back what any vacuum may remove (as far as
-- this role may see other sessions): its pid, how long its transaction has been open, and its
-- application name. QueueVacuum names it when a vacuum of the queue removes little.
-- column pid: int
-- column seconds: float8
-- column application: text
SELECT a.pid, extract(epoch FROM now() - a.xact_start)::float8 AS seconds, coalesce(a.application_name, '') AS application
FROM pg_stat_activity AS a
WHERE a.backend_xmin IS NOT NULL AND a.xact_start IS NOT NULL AND a.pid <> pg_backend_pid()
ORDER BY age(a.backend_xmin) DESC
LIMIT 1

-- name: horizon
-- The oldest transaction id any snapshot may still need, as text: the older of this
-- session's snapshot xmin (the oldest transaction still running, one that has written) and
-- the snapshots of the sessions this role may see. No vacuum removes a row version deleted
-- after it. QueueVacuum compares it across vacuums: unchanged for a whole gap, on a
-- busy database, means a transaction held open.
-- column horizon: text
SELECT h.xmin::text AS horizon
FROM (
    SELECT (txid_snapshot_xmin(txid_current_snapshot()) % 4294967296)::text::xid AS xmin
    UNION ALL
    SELECT a.backend_xmin FROM pg_stat_activity AS a WHERE a.backend_xmin IS NOT NULL
) AS h
ORDER BY age(h.xmin) DESC
LIMIT 1

-- name: dead_tuples
-- The queue table's dead row versions (claims and completions leave one each), as the
-- statistics last heard (backends report about once a second), and whether this role may
-- vacuum it (it must own it). `table` is the schema's tasks table, by name.
-- param table: text
-- column dead: int
-- column may_vacuum: bool
SELECT coalesce(pg_stat_get_dead_tuples(c.oid), 0)::int AS dead, pg_has_role(c.relowner, 'USAGE') AS may_vacuum
FROM pg_class AS c
WHERE c.oid = to_regclass($1)

-- name: vacuum
-- Vacuums the queue table (QueueVacuum): removes the index entries of claimed and finished
-- tasks, which every claim would otherwise step over at the head of tasks_ready_idx.
-- Outside a transaction; SKIP_LOCKED gives up at once if another vacuum holds the table.
-- TRUNCATE false: giving empty pages at the end back to the system takes an exclusive lock
-- that stops every claim and insert while it lasts (0021 sets the same for autovacuum).
VACUUM (SKIP_LOCKED, TRUNCATE false) celeriac.tasks
