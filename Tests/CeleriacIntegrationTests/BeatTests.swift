import Celeriac
import CeleriacPostgres
import Foundation
import Testing

/// Beat against a real database with an injected clock: nothing sleeps for real minutes.
@Suite struct BeatTests {
    static func date(_ text: String) throws -> Date {
        guard let date = ISO8601DateFormatter().date(from: text) else { throw SetupError("bad date \(text)") }
        return date
    }

    /// Runs one beat pass on its own connection thread.
    static func pass(_ beat: Beat, _ env: TestEnvironment, now: Date?) async throws -> Beat.Pass {
        try await env.app.pool.run { connection in try beat.runOnce(on: connection, now: now) }
    }

    @Test func cronTicksAreEnqueuedOncePerTickWhateverTheNumberOfBeats() async throws {
        try await TestEnvironment.with { env in
            let store = ScheduleStore(schema: env.schema)
            let every5 = PeriodicTask(
                name: "every-5", task: "tasks.add", timing: .crontab("*/5 * * * *"), args: "[16, 16]", misfirePolicy: .all
            )
            try await env.app.pool.run { try store.add(every5, on: $0) }
            try await env.sql("UPDATE \(env.schema).periodic_tasks SET last_run_at = '2026-01-01 10:00:00Z'")
            let beats = try (0..<3).map { _ in try Beat(app: env.app) }
            let now = try Self.date("2026-01-01T10:12:30Z")
            let passes = try await withThrowingTaskGroup(of: Beat.Pass.self) { group in
                for beat in beats { group.addTask { try await Self.pass(beat, env, now: now) } }
                return try await group.reduce(into: [Beat.Pass]()) { $0.append($1) }
            }
            #expect(passes.map(\.enqueued).reduce(0, +) == 2)  // 10:05 and 10:10
            #expect(passes.allSatisfy { $0.next == (try? Self.date("2026-01-01T10:15:00Z")) })
            #expect(try await env.count("SELECT count(*) FROM \(env.schema).tasks WHERE name = 'tasks.add' AND args = '[16, 16]'") == 2)
            #expect(
                try await env.sql("SELECT to_char(tick AT TIME ZONE 'UTC', 'HH24:MI') FROM \(env.schema).periodic_ticks ORDER BY tick")
                    == ["10:05", "10:10"]
            )
            // Again at the same instant: nothing new. Later: the next tick only.
            #expect(try await Self.pass(beats[0], env, now: now).enqueued == 0)
            #expect(try await Self.pass(beats[1], env, now: try Self.date("2026-01-01T10:15:01Z")).enqueued == 1)
            #expect(try await env.count("SELECT total_run_count FROM \(env.schema).periodic_tasks") == 3)
        }
    }

    @Test func misfirePoliciesAfterAnOutage() async throws {
        try await TestEnvironment.with { env in
            let store = ScheduleStore(schema: env.schema)
            for policy in MisfirePolicy.allCases {
                let definition = PeriodicTask(
                    name: "hourly-\(policy.rawValue)", task: "tasks.noop", timing: .crontab("@hourly"), misfirePolicy: policy
                )
                try await env.app.pool.run { try store.add(definition, on: $0) }
            }
            try await env.sql("UPDATE \(env.schema).periodic_tasks SET last_run_at = '2026-01-01 06:00:00Z'")
            let beat = try Beat(app: env.app)
            _ = try await Self.pass(beat, env, now: try Self.date("2026-01-01T10:30:00Z"))
            let counts = try await env.sql(
                "SELECT name || '=' || total_run_count FROM \(env.schema).periodic_tasks ORDER BY name"
            )
            #expect(counts == ["hourly-all=4", "hourly-once=1", "hourly-skip=0"])
        }
    }

    @Test func intervalTicksAreAnchoredAndTheQueueComesFromRoutes() async throws {
        try await TestEnvironment.with({ $0.taskRoutes = ["reports.*": "reports"] }) { env in
            let store = ScheduleStore(schema: env.schema)
            let definition = PeriodicTask(name: "often", task: "reports.build", timing: .every(.seconds(10)), misfirePolicy: .all)
            try await env.app.pool.run { try store.add(definition, on: $0) }
            let created = try #require(
                Double(
                    try await env.sql("SELECT extract(epoch FROM created_at) FROM \(env.schema).periodic_tasks").first.flatMap { $0 } ?? "")
            )
            let beat = try Beat(app: env.app)
            let pass = try await Self.pass(beat, env, now: Date(timeIntervalSince1970: created + 25))
            #expect(pass.enqueued == 2)
            #expect(pass.next.map { $0.timeIntervalSince1970 - created } == 30)
            #expect(try await env.sql("SELECT DISTINCT queue FROM \(env.schema).tasks") == ["reports"])
        }
    }

    @Test func badSchedulesGetClearErrors() async throws {
        try await TestEnvironment.with { env in
            let store = ScheduleStore(schema: env.schema)
            let bad = PeriodicTask(name: "bad", task: "tasks.noop", timing: .crontab("61 * * * *"))
            let error = await #expect(throws: ConfigurationError.self) { try await env.app.pool.run { try store.add(bad, on: $0) } }
            #expect(error?.message.contains("minute value 61 is out of range 0-59") == true)
            let zone = PeriodicTask(name: "zone", task: "tasks.noop", timing: .crontab("0 3 * * *", timeZone: "Mars/Olympus"))
            await #expect(throws: ConfigurationError.self) { try await env.app.pool.run { try store.add(zone, on: $0) } }

            // Through SQL: refused by the table's trigger with the same kind of message.
            let fields = await #expect(throws: PostgresError.self) {
                try await env.sql("INSERT INTO \(env.schema).periodic_tasks (name, task, cron) VALUES ('four', 'x', '* * * *')")
            }
            #expect(fields?.sqlState == "22023")
            #expect(fields?.message.contains("expected 5 fields") == true)
            let range = await #expect(throws: PostgresError.self) {
                try await env.sql("INSERT INTO \(env.schema).periodic_tasks (name, task, cron) VALUES ('r', 'x', '61 * * * *')")
            }
            #expect(range?.message == "invalid cron expression \"61 * * * *\": minute value 61 is out of range 0-59")
            let name = await #expect(throws: PostgresError.self) {
                try await env.sql("INSERT INTO \(env.schema).periodic_tasks (name, task, cron) VALUES ('n', 'x', '0 3 * foo *')")
            }
            #expect(name?.message.contains("unknown month name \"foo\"") == true)
            try await env.sql("INSERT INTO \(env.schema).periodic_tasks (name, task, cron) VALUES ('ok', 'x', '*/7 1-5 * jan-mar mon-fri')")
            let tz = await #expect(throws: PostgresError.self) {
                try await env.sql(
                    "INSERT INTO \(env.schema).periodic_tasks (name, task, cron, time_zone) VALUES ('tz', 'x', '@daily', 'Mars/Olympus')"
                )
            }
            #expect(tz?.message.contains("Mars/Olympus") == true)
            // What only the Swift parser refuses (a step longer than the field) is recorded by beat.
            try await env.sql("INSERT INTO \(env.schema).periodic_tasks (name, task, cron) VALUES ('sixty', 'x', '*/60 * * * *')")
            _ = try await Self.pass(try Beat(app: env.app), env, now: nil)
            let recorded = try await env.sql("SELECT last_error FROM \(env.schema).periodic_tasks WHERE name = 'sixty'")
            #expect(recorded.first??.contains("minute") == true)
        }
    }

    @Test func codeScheduleSyncKeepsEditsMadeWithSQL() async throws {
        try await TestEnvironment.with { env in
            let store = ScheduleStore(schema: env.schema)
            let definition = PeriodicTask(name: "report", task: "tasks.report", timing: .crontab("0 3 * * *"), args: "[1]")
            #expect(try await env.app.pool.run { try store.sync([definition], on: $0) } == 1)
            #expect(try await env.app.pool.run { try store.sync([definition], on: $0) } == 0)  // unchanged
            try await env.sql("UPDATE \(env.schema).periodic_tasks SET args = '[2]' WHERE name = 'report'")
            #expect(try await env.sql("SELECT source FROM \(env.schema).periodic_tasks") == ["sql"])
            _ = try await env.app.pool.run { try store.sync([definition], on: $0) }
            #expect(try await env.sql("SELECT args::text FROM \(env.schema).periodic_tasks") == ["[2]"])
            _ = try await env.app.pool.run { try store.sync([definition], overwrite: true, on: $0) }
            #expect(try await env.sql("SELECT args::text || ' ' || source FROM \(env.schema).periodic_tasks") == ["[1] code"])
        }
    }

    @Test func aRunningBeatPicksUpSQLEditsWithoutRestart() async throws {
        try await TestEnvironment.with { env in
            let beat = try Beat(app: env.app, maxSleep: .seconds(30))
            let running = Task { try await beat.run(handleSignals: false) }
            try await Task.sleep(for: .milliseconds(300))
            // Inserted while beat sleeps (up to 30 s): the trigger's NOTIFY wakes it.
            try await env.sql(
                "INSERT INTO \(env.schema).periodic_tasks (name, task, interval_seconds, misfire_policy) VALUES ('fast', 'tasks.noop', 0.5, 'all')"
            )
            try await env.eventually(timeout: .seconds(10), "ticks from the new schedule") {
                try await env.count("SELECT count(*) FROM \(env.schema).periodic_ticks") >= 2
            }
            try await env.sql("UPDATE \(env.schema).periodic_tasks SET enabled = false")
            try await Task.sleep(for: .seconds(1))  // a pass already under way may still finish
            let frozen = try await env.count("SELECT count(*) FROM \(env.schema).periodic_ticks")
            try await Task.sleep(for: .milliseconds(1500))
            #expect(try await env.count("SELECT count(*) FROM \(env.schema).periodic_ticks") == frozen)
            beat.stop()
            try await running.value
        }
    }
}
