import CeleriacPostgres

/// Every statement Celeriac runs, for one schema. Prepared once per session.
///
/// The schema name is validated (``Configuration/validate()``) before it is spliced in;
/// every value is a `$n` parameter.
struct Queries: Sendable {
    let schema: String
    /// The NOTIFY channel workers listen on; the payload is the queue name.
    let channel: String

    init(schema: String) {
        self.schema = schema
        channel = "\(schema).tasks"
        let s = schema
        func named(_ name: String, _ sql: String) -> PreparedStatement {
            PreparedStatement(name: "celeriac_\(s)_\(name)", sql: sql)
        }
        // Whether a NOTIFY about `queue` can help: a worker consuming it is waiting for work
        // (migration 0005; stopping a worker clears `listening`, so a stopped one never counts).
        // Busy workers claim again anyway; with none, nobody listens. Index: 0007.
        func someoneListens(_ queue: String) -> String {
            "EXISTS (SELECT 1 FROM \(s).workers AS w WHERE w.listening AND \(queue) = ANY (w.queues))"
        }

        // Producer inserts fail on an id that already exists: a send retried after a lost
        // answer (the connection broke after commit) then knows the first attempt landed, and
        // cannot enqueue the task twice (see CeleriacApp.insertRetrying).
        //
        // A statement that is its own transaction NOTIFYs only when a worker of the queue is
        // waiting for work; inside a caller's transaction, which may commit long after the
        // insert (when a worker busy now may be waiting), whenever the task is due.
        insertAlone = Self.singleInsert(schema: s, notifyIf: someoneListens) { named("insert_one" + $0, $1) }
        insertInTransaction = Self.singleInsert(schema: s, notifyIf: { _ in "true" }) { named("insert_one_tx" + $0, $1) }

        // Many tasks in one statement from parallel arrays. Any array but the ids ($1) may
        // hold a single element, meaning "this value for every row": a bulk call usually
        // repeats its task name, queue, options and often its arguments, and each is then
        // sent and parsed once instead of once per row (see CeleriacApp.bulkColumn).
        // One NOTIFY per distinct queue in $16, the queues with a task due now (computed by
        // the caller, so no RETURNING is needed), when a worker of that queue is waiting.
        func each(_ parameter: Int, _ type: String, _ column: String) -> String {
            "CASE WHEN cardinality($\(parameter)::\(type)[]) = 1 THEN ($\(parameter)::\(type)[])[1] ELSE i.\(column) END"
        }
        insertMany = named(
            "insert_many",
            """
            WITH inserted AS (
                INSERT INTO \(s).tasks (id, name, queue, priority, args, kwargs, options, chain,
                                       run_at, expires_at, max_retries, parent_id, root_id)
                SELECT i.id, \(each(2, "text", "name")), \(each(3, "text", "queue")), \(each(4, "smallint", "priority")),
                       \(each(5, "jsonb", "args")), \(each(6, "jsonb", "kwargs")), \(each(7, "jsonb", "options")),
                       \(each(8, "jsonb", "chain")),
                       coalesce(to_timestamp(\(each(9, "float8", "eta"))), now())
                           + make_interval(secs => coalesce(\(each(10, "float8", "countdown")), 0)),
                       to_timestamp(\(each(11, "float8", "expires"))), \(each(12, "int", "max_retries")),
                       \(each(13, "uuid", "parent")), \(each(14, "uuid", "root"))
                FROM unnest($1::uuid[], $2::text[], $3::text[], $4::smallint[], $5::jsonb[], $6::jsonb[],
                            $7::jsonb[], $8::jsonb[], $9::float8[], $10::float8[], $11::float8[],
                            $12::int[], $13::uuid[], $14::uuid[])
                     AS i(id, name, queue, priority, args, kwargs, options, chain, eta, countdown, expires,
                          max_retries, parent, root)
            )
            SELECT pg_notify($15, queue) FROM unnest($16::text[]) AS queue WHERE \(someoneListens("queue"))
            """
        )

        // The common bulk case, due now with no chain, eta or overrides: fewer arrays to send.
        // $1 ids, $2 names, $3 queues, $4 priorities, $5 args, $6 kwargs, $7 options (each but
        // the ids possibly one value for all), $8 channel, $9 queues to wake.
        insertManySimple = named(
            "insert_many_simple",
            """
            WITH inserted AS (
                INSERT INTO \(s).tasks (id, name, queue, priority, args, kwargs, options)
                SELECT i.id, \(each(2, "text", "name")), \(each(3, "text", "queue")), \(each(4, "smallint", "priority")),
                       \(each(5, "jsonb", "args")), \(each(6, "jsonb", "kwargs")), \(each(7, "jsonb", "options"))
                FROM unnest($1::uuid[], $2::text[], $3::text[], $4::smallint[], $5::jsonb[], $6::jsonb[], $7::jsonb[])
                     AS i(id, name, queue, priority, args, kwargs, options)
            )
            SELECT pg_notify($8, queue) FROM unnest($9::text[]) AS queue WHERE \(someoneListens("queue"))
            """
        )

        // Claim up to $2 runnable tasks from the queues $1 for owner $3 with a lease of $4 seconds.
        // Each queue is read through its own ordered range of the partial index (a LATERAL per
        // queue: `queue = ANY(...)` would scan and sort every runnable row instead), then the
        // best $2 overall are taken. SKIP LOCKED lets concurrent workers take disjoint rows
        // without waiting; the attempt is counted here, so a task that kills its worker still
        // uses up its attempts.
        claim = named(
            "claim",
            """
            WITH picked AS (
                SELECT c.id
                FROM unnest($1::text[]) AS q(name)
                CROSS JOIN LATERAL (
                    SELECT id, priority, run_at FROM \(s).tasks
                    WHERE state IN ('queued', 'retry') AND queue = q.name AND run_at <= now()
                    ORDER BY priority DESC, run_at, id
                    LIMIT $2
                    FOR UPDATE SKIP LOCKED
                ) AS c
                ORDER BY c.priority DESC, c.run_at, c.id
                LIMIT $2
            ),
            -- Fewer than asked for: this worker will wait for work, so producers should wake
            -- it (migration 0005). Written only when it changes.
            listening AS (
                UPDATE \(s).workers SET listening = NOT listening
                WHERE id = $3 AND listening <> ((SELECT count(*) FROM picked) < $2)
            )
            UPDATE \(s).tasks AS t
            SET state = 'started', owner = $3, attempt = t.attempt + 1, started_at = now(),
                lease_expires_at = now() + make_interval(secs => $4::float8)
            -- An array, not a join: the generic plan (workers force generic plans) must not
            -- guess thousands of picked rows and hash-join the whole table.
            WHERE t.id = ANY (ARRAY(SELECT id FROM picked))
            RETURNING t.id, t.name, t.args::text, t.kwargs::text, t.options::text, t.attempt, t.retries,
                      t.max_retries, t.queue, (t.expires_at IS NOT NULL AND t.expires_at < now()) AS expired,
                      t.root_id, t.parent_id
            """
        )

        // Seconds until the next waiting task of these queues is due (NULL if none), read from
        // the head of each queue's index range. With mixed priorities this may name a later
        // task than the earliest; the poll interval bounds the error.
        nextDue = named(
            "next_due",
            """
            SELECT extract(epoch FROM min(head.run_at) - now())::float8
            FROM unnest($1::text[]) AS q(name)
            CROSS JOIN LATERAL (
                SELECT run_at FROM \(s).tasks
                WHERE state IN ('queued', 'retry') AND queue = q.name
                ORDER BY priority DESC, run_at, id
                LIMIT 1
            ) AS head
            """
        )

        // Write a batch of outcomes, fenced by owner ($7) and attempt: a worker that lost its
        // lease cannot overwrite anything. Succeeded/failed/revoked rows move to results; retries
        // go back to the queue; the next chain step is inserted in this same statement, and the
        // remaining steps of a failed chain are recorded as failed. Returns the ids applied.
        complete = named(
            "complete",
            """
            WITH input AS (
                SELECT * FROM unnest($1::uuid[], $2::int[], $3::text[], $4::jsonb[], $5::float8[], $6::float8[])
                    AS i(id, attempt, outcome, payload, countdown, runtime)
            ),
            -- Each outcome probes its own row by primary key (a LATERAL, so the generic plan
            -- cannot turn it into a nested loop re-reading the input for every running task).
            owned AS (
                SELECT t.id, i.outcome, i.payload, i.countdown, i.runtime
                FROM input AS i
                CROSS JOIN LATERAL (
                    SELECT id, state, owner, attempt FROM \(s).tasks WHERE id = i.id OFFSET 0 FOR UPDATE
                ) AS t
                WHERE t.state = 'started' AND t.owner = $7 AND t.attempt = i.attempt
            ),
            retried AS (
                UPDATE \(s).tasks AS t
                SET state = 'retry', owner = NULL, lease_expires_at = NULL, retries = t.retries + 1,
                    last_error = o.payload, run_at = now() + make_interval(secs => o.countdown)
                FROM owned AS o
                WHERE t.id = o.id AND o.outcome = 'retry'
                RETURNING t.queue, o.countdown
            ),
            finished AS (
                DELETE FROM \(s).tasks AS t USING owned AS o
                WHERE t.id = o.id AND o.outcome <> 'retry'
                RETURNING t.id, t.name, t.queue, t.args, t.kwargs, t.chain, t.attempt, t.retries, t.owner,
                          t.parent_id, t.root_id, t.created_at, t.started_at, o.outcome, o.payload, o.runtime
            ),
            stored AS (
                INSERT INTO \(s).results (id, name, queue, state, args, kwargs, result, error, attempt, retries,
                                         worker, parent_id, root_id, created_at, started_at, runtime)
                SELECT id, name, queue, outcome, args, kwargs,
                       CASE WHEN outcome = 'succeeded' THEN payload END,
                       CASE WHEN outcome <> 'succeeded' THEN payload END,
                       attempt, retries, owner, parent_id, root_id, created_at, started_at, runtime
                FROM finished
                ON CONFLICT (id) DO NOTHING
            ),
            successors AS (
                INSERT INTO \(s).tasks (id, name, queue, priority, args, kwargs, options, chain, parent_id, root_id)
                SELECT (step->>'id')::uuid, step->>'task', coalesce(step->>'queue', f.queue),
                       coalesce((step->>'priority')::smallint, 0),
                       CASE WHEN coalesce((step->>'immutable')::boolean, false) THEN coalesce(step->'args', '[]')
                            ELSE jsonb_build_array(f.payload) || coalesce(step->'args', '[]') END,
                       coalesce(step->'kwargs', '{}'), coalesce(step->'options', '{}'),
                       CASE WHEN jsonb_array_length(f.chain) > 1 THEN f.chain - 0 END,
                       f.id, coalesce(f.root_id, f.id)
                FROM finished AS f CROSS JOIN LATERAL (SELECT f.chain -> 0 AS step) AS first
                WHERE f.outcome = 'succeeded' AND jsonb_typeof(f.chain) = 'array' AND jsonb_array_length(f.chain) > 0
                  AND \(Self.validStep("step"))
                ON CONFLICT (id) DO NOTHING
                RETURNING queue
            ),
            aborted AS (
                \(Self.abortChain(schema: s, from: "finished", error: "payload", where: "outcome <> 'succeeded'"))
            ),
            woken AS (
                SELECT pg_notify($8, queue) FROM (
                    SELECT queue FROM successors
                    UNION SELECT queue FROM retried WHERE countdown <= 0
                ) AS q
            )
            SELECT count(*), array_agg(id)::text, (SELECT count(*) FROM woken) FROM owned
            """
        )

        // Extend the leases of every task this worker still holds, and its registry row.
        // Returns the ids renewed: a running task missing from them was taken over.
        heartbeat = named(
            "heartbeat",
            """
            WITH renewed AS (
                UPDATE \(s).tasks SET lease_expires_at = now() + make_interval(secs => $2::float8)
                WHERE owner = $1 AND state = 'started'
                RETURNING id
            ),
            registry AS (
                UPDATE \(s).workers SET last_heartbeat_at = now() WHERE id = $1
            )
            SELECT coalesce(array_agg(id), '{}')::text FROM renewed
            """
        )

        registerWorker = named(
            "register_worker",
            """
            INSERT INTO \(s).workers (id, name, hostname, pid, queues, concurrency, pool, version)
            VALUES ($1, $2, $3, $4, $5::text[], $6, $7, $8)
            ON CONFLICT (id) DO UPDATE SET last_heartbeat_at = now(), stopped_at = NULL, listening = false
            """
        )

        // Other live workers: registered, not stopped, heartbeat within $2 seconds.
        neighbours = named(
            "neighbours",
            """
            SELECT name FROM \(s).workers
            WHERE id <> $1 AND stopped_at IS NULL
              AND last_heartbeat_at > now() - make_interval(secs => $2::float8)
            ORDER BY name
            """
        )

        stopWorker = named(
            "stop_worker",
            "UPDATE \(s).workers SET stopped_at = now(), listening = false WHERE id = $1"
        )

        // The state of one task: a final row in results, else its row in the queue.
        status = named(
            "status",
            """
            SELECT state, result::text, error::text, name FROM \(s).results WHERE id = $1
            UNION ALL
            SELECT CASE WHEN state = 'queued' AND run_at > now() THEN 'scheduled' ELSE state END,
                   NULL, last_error::text, name
            FROM \(s).tasks WHERE id = $1
            LIMIT 1
            """
        )
    }

    /// A chain step usable by the SQL above: a JSON object with a UUID `id`, a string
    /// `task` and, if present, array `args`, object `kwargs` and `options`, and a valid queue.
    /// Malformed steps written by hand are skipped rather than failing the whole batch.
    ///
    /// The id is 8-4-4-4-12 hex digits: 36 characters, dashes at those four places and
    /// nowhere else, hex digits elsewhere. Said with a pattern of bounded repetitions it
    /// cost ~40,000 instructions per step, as below ~9,000 (callgrind).
    static func validStep(_ step: String) -> String {
        """
        (jsonb_typeof(\(step)) = 'object'
         AND length(coalesce(\(step)->>'id', '')) = 36
         AND \(step)->>'id' LIKE '________-____-____-____-____________'
         AND length(replace(\(step)->>'id', '-', '')) = 32 AND replace(\(step)->>'id', '-', '') !~ '[^0-9a-fA-F]'
         AND jsonb_typeof(\(step)->'task') = 'string' AND \(step)->>'task' <> ''
         AND coalesce(jsonb_typeof(\(step)->'args'), 'array') = 'array'
         AND coalesce(jsonb_typeof(\(step)->'kwargs'), 'object') = 'object'
         AND coalesce(jsonb_typeof(\(step)->'options'), 'object') = 'object'
         AND length(coalesce(\(step)->>'queue', 'q')) BETWEEN 1 AND 100
         AND coalesce(\(step)->>'queue', 'q') !~ '[^A-Za-z0-9_.:@-]'
         AND coalesce(\(step)->>'priority', '0') ~ '^[0-9]{1,3}$' AND coalesce((\(step)->>'priority')::int, 0) <= 255)
        """
    }

    /// The statements inserting one task: `scheduled` for a countdown or eta, `now` for a
    /// task due at once (its NOTIFY needs no RETURNING), `simple` for the usual call, due at
    /// once with no chain, expiry, retry override or parent.
    struct SingleInsert: Sendable {
        /// $1 id, $2 name, $3 queue, $4 priority, $5 args, $6 kwargs, $7 options, $8 chain,
        /// $9 eta (epoch seconds), $10 countdown seconds, $11 expires (epoch seconds),
        /// $12 max_retries, $13 parent, $14 root, $15 channel.
        let scheduled: PreparedStatement
        /// As `scheduled` without $9 and $10: $9 expires, $10 max_retries, $11 parent,
        /// $12 root, $13 channel.
        let now: PreparedStatement
        /// $1 to $7 as `scheduled`, $8 channel. Every column and parameter left out is work
        /// the server skips on each insert (~4% of its instructions here, callgrind).
        let simple: PreparedStatement
    }

    /// One task in one round trip, with a NOTIFY when it is due now and `notifyIf(queue)` holds.
    /// `named(suffix, sql)` names the statements.
    ///
    /// Every parameter is cast to its base type. Left to inference, a parameter written to a
    /// column of a domain takes the domain's type, and each execution then runs the domain's
    /// input function, which sets up the domain's checks from scratch for that parameter;
    /// cast, the checks are set up once per execution by the plan: ~9,000 fewer instructions
    /// per insert of ~200,000 (callgrind).
    static func singleInsert(
        schema s: String,
        notifyIf: (String) -> String,
        named: (String, String) -> PreparedStatement
    ) -> SingleInsert {
        SingleInsert(
            scheduled: named(
                "",
                """
                WITH inserted AS (
                    INSERT INTO \(s).tasks (id, name, queue, priority, args, kwargs, options, chain,
                                           run_at, expires_at, max_retries, parent_id, root_id)
                    VALUES ($1::uuid, $2::text, $3::text, $4::smallint, $5::jsonb, $6::jsonb, $7::jsonb, $8::jsonb,
                            coalesce(to_timestamp($9::float8), now()) + make_interval(secs => coalesce($10::float8, 0)),
                            to_timestamp($11::float8), $12::int, $13::uuid, $14::uuid)
                    RETURNING queue, run_at <= now() AS due
                )
                SELECT pg_notify($15, queue) FROM inserted WHERE due AND \(notifyIf("inserted.queue"))
                """
            ),
            now: named(
                "_now",
                """
                WITH inserted AS (
                    INSERT INTO \(s).tasks (id, name, queue, priority, args, kwargs, options, chain,
                                           expires_at, max_retries, parent_id, root_id)
                    VALUES ($1::uuid, $2::text, $3::text, $4::smallint, $5::jsonb, $6::jsonb, $7::jsonb, $8::jsonb,
                            to_timestamp($9::float8), $10::int, $11::uuid, $12::uuid)
                )
                SELECT pg_notify($13, $3) WHERE \(notifyIf("$3"))
                """
            ),
            simple: named(
                "_simple",
                """
                WITH inserted AS (
                    INSERT INTO \(s).tasks (id, name, queue, priority, args, kwargs, options)
                    VALUES ($1::uuid, $2::text, $3::text, $4::smallint, $5::jsonb, $6::jsonb, $7::jsonb)
                )
                SELECT pg_notify($8, $3) WHERE \(notifyIf("$3"))
                """
            )
        )
    }

    /// An INSERT recording every remaining step of the chains of the tasks in CTE `source`
    /// (columns id, name, queue, chain, root_id and the JSON `error`) as failed with
    /// `ChainAborted`, so waiting on a chain's last result never hangs. Shared by the
    /// completion and rescue statements.
    static func abortChain(schema s: String, from source: String, error: String, where condition: String) -> String {
        """
        INSERT INTO \(s).results (id, name, queue, state, args, kwargs, error, parent_id, root_id)
        SELECT (step->>'id')::uuid, step->>'task', coalesce(step->>'queue', f.queue), 'failed',
               coalesce(step->'args', '[]'), coalesce(step->'kwargs', '{}'),
               jsonb_build_object('type', 'ChainAborted',
                                  'message', format('an earlier step of the chain, %s[%s], did not succeed: %s',
                                                    f.name, f.id, f.\(error)->>'message')),
               f.id, coalesce(f.root_id, f.id)
        FROM \(source) AS f CROSS JOIN LATERAL jsonb_array_elements(f.chain) AS step
        WHERE f.\(condition) AND jsonb_typeof(f.chain) = 'array' AND \(validStep("step"))
        ON CONFLICT (id) DO NOTHING
        """
    }

    /// One task inserted by a statement that is its own transaction.
    let insertAlone: SingleInsert
    /// One task inserted inside a caller's transaction.
    let insertInTransaction: SingleInsert
    let insertMany: PreparedStatement
    let insertManySimple: PreparedStatement
    let claim: PreparedStatement
    let nextDue: PreparedStatement
    let complete: PreparedStatement
    let heartbeat: PreparedStatement
    let registerWorker: PreparedStatement
    let neighbours: PreparedStatement
    let stopWorker: PreparedStatement
    let status: PreparedStatement
}
