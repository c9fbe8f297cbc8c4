import CeleriacPostgres
import Foundation

/// Celery's start-up banner, with the database password masked.
struct WorkerBanner {
    let nodeName: String
    let appName: String
    let url: DatabaseURL
    let concurrency: Int
    let pool: String
    let events: Bool
    let queues: [String]
    let tasks: [String]

    var text: String {
        var system = utsname()
        uname(&system)
        func field<T>(_ value: T) -> String {
            withUnsafeBytes(of: value) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        let platform = "\(field(system.sysname))-\(field(system.release))-\(field(system.machine))"
        let now = CeleryLogHandler.timestamp().prefix(19)
        // Task states are always in the tables; a live event stream (-E) is not built yet.
        let eventsLine =
            events
            ? "ON (states in the tasks and results tables; no live event stream yet)"
            : "OFF (enable -E to monitor tasks in this worker)"
        let poolName = pool == "async" ? "async, in-process" : pool
        var lines = [
            "",
            " -------------- \(nodeName) v\(CeleriacVersion.string)",
            "--- ***** ----- ",
            "-- ******* ---- \(platform) \(now)",
            "- *** --- * --- ",
            "- ** ---------- [config]",
            "- ** ---------- .> app:         \(appName)",
            "- ** ---------- .> transport:   \(url.masked)",
            "- ** ---------- .> results:     \(url.masked)",
            "- *** --- * --- .> concurrency: \(concurrency) (\(poolName))",
            "-- ******* ---- .> task events: \(eventsLine)",
            "--- ***** ----- ",
            " -------------- [queues]",
        ]
        for queue in queues {
            lines.append(
                "                .> \(queue.padding(toLength: max(16, queue.count), withPad: " ", startingAt: 0)) table=tasks queue=\(queue)"
            )
        }
        lines.append("")
        lines.append("[tasks]")
        lines.append(contentsOf: tasks.map { "  . \($0)" })
        lines.append("")
        return lines.joined(separator: "\n") + "\n"
    }
}
