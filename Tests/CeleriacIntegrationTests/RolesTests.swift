import Celeriac
import CeleriacPostgres
import Foundation
import Testing

/// `migrate --roles`: four least-privilege roles, used by real logins: each allowed statement
/// works, each forbidden one fails with "permission denied".
@Suite struct RolesTests {
    /// A login role in `role`, and a URL that connects as it.
    private static func login(_ env: TestEnvironment, as role: String) async throws -> String {
        let user = role + "_login"
        try await env.sql("CREATE ROLE \(user) LOGIN PASSWORD 'secret' IN ROLE \(role)")
        var components = try #require(URLComponents(string: env.url))
        components.user = user
        components.password = "secret"
        return try #require(components.string)
    }

    private static func app(_ env: TestEnvironment, url: String) -> CeleriacApp {
        let app = CeleriacApp("roles", database: url, environment: [:])
        app.conf = {
            var conf = env.app.conf
            conf.databaseURL = url
            return conf
        }()
        return app
    }

    /// Runs `sql` as `app`'s user and returns the SQLSTATE it failed with, or nil.
    private static func failure(_ app: CeleriacApp, _ sql: String) async -> String? {
        do {
            _ = try await app.sendQuery(sql)
            return nil
        } catch let error as PostgresError {
            return error.sqlState
        } catch {
            return "\(error)"
        }
    }

    @Test func eachRoleMayDoWhatItNeedsAndNothingElse() async throws {
        try await TestEnvironment.with { env in
            let s = env.schema
            let roles = RoleNames(prefix: s)
            try await env.app.migrate(roles: roles)
            // Granted again by a plain migrate (new objects of an upgrade are covered).
            try await env.app.migrate()
            let logins = (
                producer: try await Self.login(env, as: roles.producer), worker: try await Self.login(env, as: roles.worker),
                monitor: try await Self.login(env, as: roles.monitor), admin: try await Self.login(env, as: roles.admin)
            )
            let producer = Self.app(env, url: logins.producer)
            let worker = Self.app(env, url: logins.worker)
            let monitor = Self.app(env, url: logins.monitor)
            let admin = Self.app(env, url: logins.admin)
            defer { [producer, worker, monitor, admin].forEach { $0.shutdown() } }
            let denied = "42501"

            // The producer enqueues (Swift and SQL) and reads results; nothing else.
            let add = producer.task("tasks.add") { (x: Int, y: Int) async throws -> Int in x + y }
            _ = worker.task("tasks.add") { (x: Int, y: Int) async throws -> Int in x + y }
            let sent = try await add.delay(2, 3)
            let viaSQL = try #require(try await producer.sendQuery("SELECT \(s).enqueue('tasks.add', '[4, 5]')"))
            #expect(try await producer.sendQuery("SELECT state FROM \(s).task_result('\(viaSQL)')") == "queued")
            // Unique tasks: the producer learns the holder of a key, from Swift and from SQL.
            let once = CallOptions(unique: Uniqueness(key: "roles:once"))
            let unique = try await add.applyAsync(1, 1, options: once)
            #expect(try await add.applyAsync(1, 2, options: once).id == unique.id)
            let uniqueViaSQL = try await producer.sendQuery(
                "SELECT \(s).enqueue('tasks.add', '[1, 3]', options => '{\"unique_key\": \"roles:once\"}')")
            #expect(uniqueViaSQL == unique.id.celeryString)
            // Groups: saved with their members, restored by id.
            let pair = try await group(add.s(3, 3), add.s(4, 4)).delay()
            #expect(try await GroupResult<Int>.restore(pair.id, app: producer)?.ids == pair.ids)
            #expect(await Self.failure(producer, "UPDATE \(s).tasks SET priority = 9") == denied)
            #expect(await Self.failure(producer, "DELETE FROM \(s).tasks") == denied)
            #expect(await Self.failure(producer, "SELECT * FROM \(s).events") == denied)
            #expect(await Self.failure(producer, "SELECT * FROM \(s).queues") == denied)
            #expect(await Self.failure(producer, "SELECT \(s).purge(NULL)") == denied)
            #expect(await Self.failure(producer, "SELECT * FROM \(s).revoke(ARRAY['\(viaSQL)']::uuid[])") == denied)
            #expect(await Self.failure(producer, "SELECT * FROM \(s).audit_log") == denied)

            // The worker runs them, with events.
            var options = WorkerOptions()
            options.concurrency = 2
            options.events = true
            let running = Worker(app: worker, options: options)
            let loop = Task { try await running.run(handleSignals: false, printBanner: false) }
            #expect(try await sent.get(timeout: .seconds(10)) == 5)
            #expect(try await unique.get(timeout: .seconds(10)) == 2)
            #expect(try await pair.get(timeout: .seconds(10)) == [6, 8])
            try await env.eventually("the SQL task finished") {
                try await producer.sendQuery("SELECT state FROM \(s).task_result('\(viaSQL)')") == "succeeded"
            }
            #expect(await Self.failure(worker, "SELECT * FROM \(s).audit_log") == denied)
            #expect(await Self.failure(worker, "SELECT \(s).purge(NULL)") == denied)
            // A maintenance round as the worker: rescue, pruning (of the default partitions
            // too) and the rest, without an error. It does not own the tables, so it leaves
            // the partitions alone and says so.
            let maintenance = Maintenance(configuration: worker.conf, holder: "roles-test")
            _ = try await worker.pool.run { try maintenance.runOnce(on: $0) }
            let partitions = TablePartitions(sql: SchemaSQL(schema: s), expires: .seconds(60))
            let kept = try await worker.pool.run { [partitions] connection in
                var part = partitions
                return try part.runOnce(on: connection)
            }
            #expect(kept.created == 0 && kept.dropped == 0)
            #expect(await Self.failure(worker, "SELECT \(s).control('*', 'shutdown')") == denied)

            // The monitor reads the views, and nothing else.
            for view in ["queues", "task_names", "recent_failures", "worker_status", "schedules", "task_events"] {
                #expect(await Self.failure(monitor, "SELECT * FROM \(s).\(view)") == nil, "\(view)")
            }
            #expect(try await monitor.sendQuery("SELECT count(*) FROM \(s).task_history('\(sent.id)')") == "3")
            #expect(try await monitor.workerStatus().first?.status == "online")
            // Everything `celeriac inspect` shows reads views too.
            #expect(try await monitor.queryTasks([sent.id]).first?.state == "succeeded")
            #expect(try await monitor.registeredTaskTypes().map(\.name) == ["tasks.add"])
            #expect(try await monitor.inspect("active").isEmpty)
            #expect(try await monitor.revokedTasks().isEmpty)
            #expect(try await monitor.chain(of: sent.id).isEmpty)
            // The sum's result is 5: found by text in the result.
            #expect(try await monitor.listTasks(CeleriacApp.TaskFilter(search: "5")).map(\.id).contains(sent.id))
            _ = try await monitor.throughput(minutes: 60)  // readable (it may still be empty before a heartbeat)
            #expect(await Self.failure(monitor, "SELECT * FROM \(s).tasks") == denied)
            #expect(await Self.failure(monitor, "SELECT * FROM \(s).results") == denied)
            #expect(await Self.failure(monitor, "SELECT \(s).pause_queue('celery')") == denied)
            #expect(await Self.failure(monitor, "SELECT \(s).enqueue('tasks.add')") == denied)

            // The admin steers, and is audited under its own name.
            let later = try await add.applyAsync(1, 1, options: CallOptions(countdown: .seconds(600)))
            #expect(try await admin.revoke([later.id]).first?.outcome == "revoked")
            #expect(try await admin.pauseQueue("celery"))
            #expect(try await admin.resumeQueue("celery"))
            #expect(try await admin.queues().contains { $0.queue == "celery" })
            let actors = try await admin.sendQuery("SELECT string_agg(DISTINCT actor, ',') FROM \(s).audit_log")
            #expect(actors == roles.admin + "_login")
            #expect(await Self.failure(admin, "SELECT * FROM \(s).tasks") == denied)
            #expect(await Self.failure(admin, "INSERT INTO \(s).tasks (id, name) VALUES (gen_random_uuid(), 'x')") == denied)

            running.stop()
            try await loop.value
            try await env.sql("DROP SCHEMA \(s) CASCADE")
            for role in [roles.producer, roles.worker, roles.monitor, roles.admin] {
                try await env.sql("DROP ROLE \(role)_login")
                try await env.sql("DROP ROLE \(role)")
            }
        }
    }
}
