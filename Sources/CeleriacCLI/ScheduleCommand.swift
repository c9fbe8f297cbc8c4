import ArgumentParser
import Celeriac
import CeleriacPostgres
import Foundation

struct ScheduleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedule",
        abstract: "Manage periodic tasks (the periodic_tasks table).",
        subcommands: [List.self, Add.self, Remove.self, Enable.self, Disable.self, RunNow.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show every periodic task.")
        @OptionGroup var common: CommonOptions

        func run() async throws {
            let app = try common.makeApp()
            defer { app.shutdown() }
            let store = ScheduleStore(schema: app.conf.schema)
            let entries = try await app.pool.run { try store.list(on: $0) }
            guard !entries.isEmpty else {
                print("No periodic tasks.")
                return
            }
            print(
                ["NAME", "TASK", "SCHEDULE", "ZONE", "ON", "POLICY", "LAST RUN", "NEXT RUN", "RUNS", "SOURCE"]
                    .joined(separator: "\t"))
            for entry in entries {
                print(
                    [
                        entry.name, entry.task, entry.schedule, entry.timeZone, entry.enabled ? "yes" : "no",
                        entry.misfirePolicy, entry.lastRunAt ?? "-", entry.nextRunAt ?? "-", String(entry.totalRunCount),
                        entry.source,
                    ].joined(separator: "\t") + (entry.lastError.map { "\tERROR: \($0)" } ?? "")
                )
            }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a periodic task.",
            discussion: "Example: celeriac schedule add nightly --task tasks.report --cron '0 3 * * *' --tz Europe/Moscow"
        )
        @OptionGroup var common: CommonOptions
        @Argument(help: "A unique name for the schedule.") var name: String
        @Option(name: .long, help: "The task to enqueue.") var task: String
        @Option(name: .long, help: "5-field cron expression or @hourly, @daily, @weekly, @monthly, @yearly.") var cron: String?
        @Option(name: .long, help: "IANA time zone of the cron expression.") var tz: String = "UTC"
        @Option(name: .long, help: "Fixed interval in seconds (instead of --cron).") var every: Double?
        @Option(name: .long, help: "Positional arguments, a JSON array.") var args: String = "[]"
        @Option(name: .long, help: "Keyword arguments, a JSON object.") var kwargs: String = "{}"
        @Option(name: .long, help: "Queue.") var queue: String?
        @Option(name: .long, help: "Priority 0-255.") var priority: Int?
        @Option(name: .long, help: "Missed ticks: skip, once or all.") var misfire: String = "once"

        func run() async throws {
            let timing: PeriodicTask.Timing
            switch (cron, every) {
            case (let cron?, nil): timing = .crontab(cron, timeZone: tz)
            case (nil, let every?): timing = .every(.fromSeconds(every))
            default: throw ValidationError("give exactly one of --cron and --every")
            }
            guard let policy = MisfirePolicy(rawValue: misfire) else {
                throw ValidationError("--misfire must be skip, once or all")
            }
            let definition = PeriodicTask(
                name: name, task: task, timing: timing, args: args, kwargs: kwargs, queue: queue, priority: priority,
                misfirePolicy: policy
            )
            do { try definition.validate() } catch { throw ValidationError("\(error)") }
            let app = try common.makeApp()
            defer { app.shutdown() }
            let store = ScheduleStore(schema: app.conf.schema)
            do {
                try await app.pool.run { try store.add(definition, on: $0) }
            } catch let error as ConfigurationError {
                throw ValidationError(error.message)
            }
            print("Added periodic task \(name).")
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a periodic task.")
        @OptionGroup var common: CommonOptions
        @Argument var name: String

        func run() async throws {
            let app = try common.makeApp()
            defer { app.shutdown() }
            let (store, name) = (ScheduleStore(schema: app.conf.schema), self.name)
            guard try await app.pool.run({ try store.remove(name, on: $0) }) else {
                throw ValidationError("no periodic task named '\(name)'")
            }
            print("Removed periodic task \(name).")
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a periodic task.")
        @OptionGroup var common: CommonOptions
        @Argument var name: String

        func run() async throws { try await ScheduleCommand.setEnabled(common, name, true) }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable a periodic task.")
        @OptionGroup var common: CommonOptions
        @Argument var name: String

        func run() async throws { try await ScheduleCommand.setEnabled(common, name, false) }
    }

    struct RunNow: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "run-now", abstract: "Enqueue a periodic task's task once, now (not a tick)."
        )
        @OptionGroup var common: CommonOptions
        @Argument var name: String

        func run() async throws {
            let app = try common.makeApp()
            defer { app.shutdown() }
            guard let id = try await app.runScheduleNow(name) else {
                throw ValidationError("no periodic task named '\(name)'")
            }
            print(id.celeryString)
        }
    }

    static func setEnabled(_ common: CommonOptions, _ name: String, _ enabled: Bool) async throws {
        let app = try common.makeApp()
        defer { app.shutdown() }
        guard try await app.enableSchedule(name, enabled) else {
            throw ValidationError("no periodic task named '\(name)'")
        }
        print("\(enabled ? "Enabled" : "Disabled") periodic task \(name).")
    }
}
