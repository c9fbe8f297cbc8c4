import Celeriac
import CeleriacPostgres
import Foundation
import Testing

/// Transactional enqueue (Swift and SQL), bad input, purge.
@Suite struct ProducerTests {
    struct Rollback: Error {}

    @Test func swiftTransactionRolledBackLeavesNoTaskAndCommittedOneRuns() async throws {
        try await TestEnvironment.with { env in
            let add = env.app.task("tasks.add") { (x: Int, y: Int) async throws -> Int in x + y }
            let schema = env.schema
            try await env.sql("CREATE TABLE \(schema).orders (id int PRIMARY KEY)")

            let discarded = try add.message(1, 1)
            await #expect(throws: Rollback.self) {
                try await env.app.transaction { tx in
                    try tx.execute("INSERT INTO \(schema).orders VALUES (1)")
                    try tx.enqueue(discarded)
                    throw Rollback()
                }
            }
            #expect(try await env.count("SELECT count(*) FROM \(schema).tasks") == 0)
            #expect(try await env.count("SELECT count(*) FROM \(schema).orders") == 0)

            let kept = try add.message(2, 2)
            let handle = try await env.app.transaction { tx in
                try tx.execute("INSERT INTO \(schema).orders VALUES ($1)", [2])  // any printable parameter
                return try tx.enqueue(kept)
            }
            #expect(handle.id == kept.id)
            // The same on a connection the caller holds itself.
            let app = env.app
            let onOwnConnection = try add.message(3, 3)
            let ignored = try add.message(4, 4)
            try await env.app.pool.run { connection in
                try connection.execute("BEGIN")
                try app.enqueue(ignored, on: connection)
                try connection.execute("ROLLBACK")
                try connection.transaction { connection in
                    try app.enqueue(onOwnConnection, on: connection)
                }
            }
            #expect(try await env.count("SELECT count(*) FROM \(schema).tasks") == 2)

            let worker = env.startWorker()
            #expect(try await AsyncResult<Int>(id: kept.id, app: env.app).get(timeout: .seconds(10)) == 4)
            #expect(try await handle.get(timeout: .seconds(10)) == .number(4))
            #expect(try await AsyncResult<Int>(id: onOwnConnection.id, app: env.app).get(timeout: .seconds(10)) == 6)
            #expect(try await AsyncResult<Int>(id: ignored.id, app: env.app).state == .pending)
            try await worker.stop()
        }
    }

    @Test func sqlFunctionEnqueuesOnlyWhenTheCallersTransactionCommits() async throws {
        try await TestEnvironment.with { env in
            let add = env.app.task("tasks.add", argumentNames: ["x", "y"]) { (x: Int, y: Int) async throws -> Int in x + y }
            _ = add
            let worker = env.startWorker()
            let schema = env.schema
            let rolledBack = try await env.app.pool.run { connection -> String? in
                try connection.execute("BEGIN")
                let id = try connection.execute("SELECT \(schema).enqueue('tasks.add', '[2, 3]')").scalar
                try connection.execute("ROLLBACK")
                return id
            }
            let committed = try await env.app.pool.run { connection -> String? in
                try connection.transaction { connection in
                    try connection.execute("SELECT \(schema).enqueue('tasks.add', '[2, 3]')").scalar
                }
            }
            let named = try await env.sql(
                "SELECT \(schema).enqueue('tasks.add', '[1]', kwargs => '{\"y\": 41}', priority => 5)"
            )
            let committedID = try #require(committed.flatMap(UUID.init(uuidString:)))
            let namedID = try #require(named.first.flatMap { $0 }.flatMap(UUID.init(uuidString:)))
            #expect(try await AsyncResult<Int>(id: committedID, app: env.app).get(timeout: .seconds(10)) == 5)
            #expect(try await AsyncResult<Int>(id: namedID, app: env.app).get(timeout: .seconds(10)) == 42)
            let rolledBackID = try #require(rolledBack.flatMap(UUID.init(uuidString:)))
            #expect(try await AsyncResult<Int>(id: rolledBackID, app: env.app).state == .pending)
            #expect(try await env.count("SELECT count(*) FROM \(schema).results WHERE id = $1", [rolledBack]) == 0)
            try await worker.stop()
        }
    }

    @Test func badInputGetsAClearErrorAndTheWorkerCarriesOn() async throws {
        try await TestEnvironment.with { env in
            let add = env.app.task("tasks.add", argumentNames: ["x", "y"]) { (x: Int, y: Int) async throws -> Int in x + y }
            let worker = env.startWorker()
            let schema = env.schema

            // An unknown task name fails with NotRegistered.
            let unknown = try await env.app.sendTask("tasks.nope", args: "[1]")
            let unknownError = await #expect(throws: TaskFailedError.self) { try await unknown.get(timeout: .seconds(10)) }
            #expect(unknownError?.info.type == "NotRegistered")
            #expect(unknownError?.info.message.contains("tasks.nope") == true)

            // Wrong argument types from a SQL producer fail the task, naming the argument.
            let wrong = try await env.sql("SELECT \(schema).enqueue('tasks.add', '[\"seven\", 1]')")
            let wrongID = try #require(wrong.first.flatMap { $0 }.flatMap(UUID.init(uuidString:)))
            let typeError = await #expect(throws: TaskFailedError.self) {
                try await AsyncResult<Int>(id: wrongID, app: env.app).get(timeout: .seconds(10))
            }
            #expect(typeError?.info.type == "ArgumentError")
            #expect(typeError?.info.message.contains("argument 1 (x) must be Int") == true)

            // Too many arguments, from a producer that does not know the task: the worker says so.
            let extraID = try #require(
                try await env.sql("SELECT \(schema).enqueue('tasks.add', '[1, 2, 3]')").first.flatMap { $0 }.flatMap(UUID.init(uuidString:))
            )
            let extraError = await #expect(throws: TaskFailedError.self) {
                try await AsyncResult<Int>(id: extraID, app: env.app).get(timeout: .seconds(10))
            }
            #expect(extraError?.info.message == "tasks.add: takes 2 arguments but 3 were given")

            // Malformed JSON never gets in: the SQL function and the table say why.
            let notArray = await #expect(throws: PostgresError.self) {
                try await env.sql("SELECT \(schema).enqueue('tasks.add', '{\"x\": 1}')")
            }
            #expect(notArray?.sqlState == "22023")
            #expect(notArray?.message.contains("args must be a JSON array, got object") == true)
            let invalidJSON = await #expect(throws: PostgresError.self) {
                try await env.sql("SELECT \(schema).enqueue('tasks.add', '[1, 2')")
            }
            #expect(invalidJSON?.sqlState == "22P02")
            let badQueue = await #expect(throws: PostgresError.self) {
                try await env.sql("SELECT \(schema).enqueue('tasks.add', '[1, 2]', queue => 'no spaces')")
            }
            #expect(badQueue?.message.contains("invalid queue name") == true)
            await #expect(throws: EnqueueError.self) { _ = try await env.app.sendTask("tasks.add", args: "[1, 2") }
            await #expect(throws: EnqueueError.self) { _ = try await env.app.sendTask("tasks.add", args: "{}") }

            // The worker is still there.
            #expect(try await add.delay(20, 22).get(timeout: .seconds(10)) == 42)
            try await worker.stop()
        }
    }

    @Test func bulkEnqueueAndPurge() async throws {
        try await TestEnvironment.with { env in
            let add = env.app.task("tasks.add") { (x: Int, y: Int) async throws -> Int in x + y }
            let messages = try (0..<250).map { try add.message($0, $0, options: CallOptions(countdown: .seconds(60))) }
            try await env.app.enqueue(messages)
            try await env.app.enqueue([try add.message(1, 1, options: CallOptions(queue: "other"))])
            #expect(try await env.count("SELECT count(*) FROM \(env.schema).tasks") == 251)
            #expect(try await env.app.purge(queue: "other") == 1)
            #expect(try await env.app.purge() == 250)
            #expect(try await env.count("SELECT count(*) FROM \(env.schema).tasks") == 0)
        }
    }
}

extension ProducerTests {
    /// Bulk inserts send a column once when every task shares its value: rows must come
    /// out exactly as sent whether a column varies, repeats, or is null for some tasks.
    @Test func bulkEnqueueStoresEveryRowAsSent() async throws {
        try await TestEnvironment.with { env in
            let add = env.app.task("tasks.add") { (x: Int, y: Int) async throws -> Int in x + y }
            let mul = env.app.task("tasks.mul") { (x: Int, y: Int) async throws -> Int in x * y }
            let rows = { (filter: String) in
                try await env.sql(
                    """
                    SELECT concat_ws('|', name, queue, priority, args::text, kwargs::text, max_retries,
                                     run_at > now() + interval '30 seconds', expires_at IS NOT NULL)
                    FROM \(env.schema).tasks WHERE \(filter) ORDER BY args->>0, name
                    """
                )
            }
            // Every column varies (name, queue, priority, kwargs, countdown, max_retries, expires).
            try await env.app.enqueue([
                try add.message(1, 1),
                try mul.message(
                    2, 2,
                    options: CallOptions(
                        countdown: .seconds(60), expires: Date().addingTimeInterval(600), queue: "q2", priority: 7,
                        maxRetries: 5, kwargs: #"{"y": 3}"#)),
                try add.message(3, 3, options: CallOptions(priority: 9)),
            ])
            #expect(
                try await rows("true") == [
                    "tasks.add|celery|0|[1, 1]|{}|f|f",
                    "tasks.mul|q2|7|[2, 2]|{\"y\": 3}|5|t|t",
                    "tasks.add|celery|9|[3, 3]|{}|f|f",
                ])
            _ = try await env.app.purge()

            // Everything but the ids repeats: one value sent for all rows, still three rows.
            let same = CallOptions(countdown: .seconds(60), queue: "q3", priority: 4, maxRetries: 2)
            try await env.app.enqueue(try (0..<3).map { _ in try add.message(5, 5, options: same) })
            #expect(try await rows("true") == Array(repeating: "tasks.add|q3|4|[5, 5]|{}|2|t|f", count: 3))
            _ = try await env.app.purge()

            // Due-now tasks through the short statement, with some columns shared and some not.
            try await env.app.enqueue(try (0..<300).map { try add.message($0, 1, options: CallOptions(queue: "q4")) })
            #expect(try await env.count("SELECT count(DISTINCT args) FROM \(env.schema).tasks WHERE queue = 'q4'") == 300)
            #expect(try await rows("args->>0 = '7'") == ["tasks.add|q4|0|[7, 1]|{}|f|f"])
        }
    }

    @Test func aTaskIdCanOnlyBeEnqueuedOnce() async throws {
        try await TestEnvironment.with { env in
            let add = env.app.task("tasks.add") { (x: Int, y: Int) async throws -> Int in x + y }
            let id = UUID.v7()
            _ = try await add.applyAsync(1, 2, options: CallOptions(taskID: id))
            let error = await #expect(throws: EnqueueError.self) {
                _ = try await add.applyAsync(3, 4, options: CallOptions(taskID: id))
            }
            #expect(error?.message.contains("already exists") == true)
            #expect(try await env.sql("SELECT args::text FROM \(env.schema).tasks") == ["[1, 2]"])
        }
    }
}

extension ProducerTests {
    /// Rows written with plain SQL meet the same rules as the API's (the column domains):
    /// a bad row is refused with an error naming the rule, the edge cases of each rule get in.
    @Test func rowsWrittenWithSQLFollowTheColumnRules() async throws {
        try await TestEnvironment.with { env in
            let schema = env.schema
            func insert(_ column: String, _ value: String) async throws {
                let (columns, values) = column == "name" ? ("name", "$1") : ("name, \(column)", "'tasks.t', $1")
                try await env.sql("INSERT INTO \(schema).tasks (id, \(columns)) VALUES (gen_random_uuid(), \(values))", [value])
            }
            let refused: [(String, String)] = [
                ("queue", ""), ("queue", "no spaces"), ("queue", "new\nline"), ("queue", "é"),
                ("queue", String(repeating: "q", count: 101)), ("queue", "semi;colon"),
                ("name", ""), ("name", String(repeating: "n", count: 201)),
                ("priority", "256"), ("priority", "-1"), ("state", "running"),
                ("args", "{}"), ("kwargs", "[]"), ("options", "1"), ("chain", "{}"), ("run_at", "infinity"),
            ]
            for (column, value) in refused {
                let error = await #expect(throws: PostgresError.self, "\(column) = \(value.debugDescription)") {
                    try await insert(column, value)
                }
                #expect(error?.sqlState == "23514", "\(column) = \(value.debugDescription): \(error?.message ?? "")")
            }
            let accepted: [(String, String)] = [
                ("queue", "q"), ("queue", String(repeating: "q", count: 100)),
                ("queue", "ABCXYZ_abcxyz.0189:@-"), ("name", String(repeating: "n", count: 200)),
                ("priority", "0"), ("priority", "255"), ("state", "retry"), ("args", "[1]"),
                ("kwargs", "{\"a\": 1}"), ("chain", "[]"), ("run_at", "2030-01-01T00:00:00Z"),
            ]
            for (column, value) in accepted { try await insert(column, value) }
            #expect(try await env.count("SELECT count(*) FROM \(schema).tasks") == accepted.count)

            // celeriac.enqueue() applies the same queue rule, with its own message.
            for queue in ["", "no spaces", "é", String(repeating: "q", count: 101)] {
                let error = await #expect(throws: PostgresError.self, "queue \(queue.debugDescription)") {
                    try await env.sql("SELECT \(schema).enqueue('tasks.t', queue => $1)", [queue])
                }
                #expect(error?.sqlState == "22023")
                #expect(error?.message.contains("invalid queue name") == true)
            }
            for queue in ["q", String(repeating: "q", count: 100), "ABCXYZ_abcxyz.0189:@-"] {
                try await env.sql("SELECT \(schema).enqueue('tasks.t', queue => $1)", [queue])
            }
            #expect(try await env.count("SELECT count(*) FROM \(schema).tasks") == accepted.count + 3)
        }
    }

    /// The throwaway cluster's role is named like Celeriac's schema: a user's own unqualified
    /// table must still land in `public`, not among Celeriac's tables.
    @Test func usersOwnTablesLandInPublicNotInCeleriacsSchema() async throws {
        try await TestEnvironment.with { env in
            let table = "user_orders_" + String(UInt32.random(in: 0..<UInt32.max), radix: 36)
            let landed = try await env.app.pool.run { connection -> String? in
                let role = try connection.execute("SELECT current_user").scalar ?? ""
                let existed = try connection.execute("SELECT count(*) FROM pg_namespace WHERE nspname = $1", [role]).int(0, 0) ?? 0
                // `celeriac migrate` creates the schema; make sure it exists here too.
                try connection.execute("CREATE SCHEMA IF NOT EXISTS \(Connection.quoteIdentifier(role))")
                try connection.execute("CREATE TABLE \(table) (id int)")
                let schema = try connection.execute(
                    "SELECT table_schema FROM information_schema.tables WHERE table_name = $1", [table]
                ).scalar
                try connection.execute("DROP TABLE \(table)")
                if existed == 0 { try connection.execute("DROP SCHEMA \(Connection.quoteIdentifier(role))") }
                return schema
            }
            #expect(landed == "public")
        }
    }

    /// Purging a chain's head ends it and every step after it: nobody waits forever.
    @Test func purgeRevokesTheTasksAndTheRestOfTheirChains() async throws {
        try await TestEnvironment.with { env in
            let add = env.app.task("tasks.add") { (x: Int, y: Int) async throws -> Int in x + y }
            let last = try await (add.s(1, 2) | add.s(3) | add.s(4)).delay()
            let single = try await add.delay(5, 6)
            #expect(try await env.app.purge() == 2)
            let error = await #expect(throws: TaskFailedError.self) { try await last.get(timeout: .seconds(2)) }
            #expect(error?.state == .revoked)
            #expect(error?.info.message == "purged")
            #expect(try await single.state == .revoked)
            #expect(try await env.count("SELECT count(*) FROM \(env.schema).results WHERE state = 'revoked'") == 4)
            #expect(try await env.count("SELECT count(*) FROM \(env.schema).tasks") == 0)
        }
    }

    /// celeriac.enqueue() routes and limits a task as a Swift producer would, with the
    /// settings the workers registered; before any did, the defaults (celery, 1 MiB).
    @Test func theSQLFunctionFollowsTheWorkersRoutesAndPayloadLimit() async throws {
        try await TestEnvironment.with({
            $0.taskRoutes = ["mail.*": "emails", "mail.urgent": "now"]
            $0.taskDefaultQueue = "jobs"
            $0.maxPayloadBytes = 1000
        }) { env in
            let s = env.schema
            func queue(_ call: String) async throws -> String? {
                let id = try await env.sql("SELECT \(s).\(call)").first ?? nil
                return try await env.sql("SELECT queue FROM \(s).tasks WHERE id = $1", [id]).first ?? nil
            }
            func refusal(_ call: String) async -> PostgresError? {
                do {
                    try await env.sql("SELECT \(s).\(call)")
                    return nil
                } catch {
                    return error as? PostgresError
                }
            }
            #expect(try await queue("enqueue('mail.send')") == "celery")
            let huge = await refusal("enqueue('tasks.say', jsonb_build_array(repeat('x', 2097152)))")
            #expect(huge?.sqlState == "54000")
            #expect(huge?.message.contains("more than the limit of 1048576") == true)

            let worker = env.startWorker()
            try await worker.stop()
            #expect(try await queue("enqueue('mail.send')") == "emails")
            #expect(try await queue("enqueue('mail.urgent')") == "now")
            #expect(try await queue("enqueue('reports.daily')") == "jobs")
            #expect(try await queue("enqueue('mail.send', queue => 'chosen')") == "chosen")
            let large = await refusal("enqueue('tasks.say', jsonb_build_array(repeat('x', 2000)))")
            #expect(large?.sqlState == "54000")
            #expect(large?.message.contains("tasks.say take 2006 bytes, more than the limit of 1000") == true)
            #expect(await refusal("enqueue('tasks.say', jsonb_build_array(repeat('x', 500)))") == nil)
        }
    }

    /// A producer that knows the task checks its arguments before enqueueing (so does
    /// `celeriac call` in a binary hosting the task); one that does not leaves it to the worker.
    @Test func aKnownTasksArgumentsAreCheckedBeforeEnqueueing() async throws {
        try await TestEnvironment.with { env in
            _ = env.app.task("tasks.add") { (x: Int, y: Int) async throws -> Int in x + y }
            let tooMany = await #expect(throws: EnqueueError.self) { try await env.app.sendTask("tasks.add", args: "[1, 2, 3]") }
            #expect(tooMany?.message.contains("takes 2 arguments but 3 were given") == true)
            await #expect(throws: EnqueueError.self) { try await env.app.sendTask("tasks.add", args: #"["one", 2]"#) }
            #expect(try await env.count("SELECT count(*) FROM \(env.schema).tasks") == 0)
            _ = try await env.app.sendTask("tasks.unknown_here", args: "[1, 2, 3]")
            #expect(try await env.count("SELECT count(*) FROM \(env.schema).tasks") == 1)
        }
    }
}
