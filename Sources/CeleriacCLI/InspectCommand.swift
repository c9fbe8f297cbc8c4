import ArgumentParser
import Celeriac
import Foundation

/// `celeriac status`: the live workers, answered by the workers themselves.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Ask every live worker to answer (a ping on the control topic) and list those that do."
    )

    @OptionGroup var common: CommonOptions

    @Option(help: "Seconds to wait for answers.")
    var timeout: Double = 1

    @Flag(help: "Print JSON.")
    var json = false

    func run() async throws {
        guard timeout > 0, timeout.isFinite else { throw ValidationError("--timeout must be a positive number of seconds") }
        let app = try common.makeApp()
        defer { app.shutdown() }
        let replies = try await app.ping(timeout: .fromSeconds(timeout))
        if json {
            let rows = replies.map { reply -> JSONValue in
                .object([
                    "worker": .string(reply.worker), "running": .number(Double(reply.running)),
                    "free": .number(Double(reply.free)), "queues": .array(reply.queues.map(JSONValue.string)),
                ])
            }
            print(JSONValue.array(rows).description)
        } else {
            for reply in replies {
                print("\(reply.worker): OK (running \(reply.running), free \(reply.free), queues \(reply.queues.joined(separator: ",")))")
            }
            print("\n\(replies.count) \(replies.count == 1 ? "node" : "nodes") online.")
        }
        if replies.isEmpty { throw ExitCode(1) }
    }
}

/// `celeriac inspect active|scheduled|reserved|registered|stats|revoked|active_queues|query_task`:
/// Celery's names, read from the tables and views (no worker has to answer).
struct InspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Inspect tasks and workers: active, scheduled, reserved, registered, stats, revoked, active_queues, query_task ID…",
        discussion: """
            active     tasks running now, with their worker
            scheduled  tasks waiting for their countdown or eta
            reserved   tasks due now, waiting for a worker
            registered the task types the workers run, with their options
            stats      each worker: status, pool, concurrency, load, totals, heartbeat
            revoked    revocations of running tasks, and tasks revoked in the last day
            active_queues  the queues each live worker consumes
            query_task ID…  the state, worker and arguments of these tasks
            """
    )

    static let kinds = ["active", "scheduled", "reserved", "registered", "stats", "revoked", "active_queues", "query_task"]

    @OptionGroup var common: CommonOptions

    @Argument(help: "What to inspect: \(InspectCommand.kinds.joined(separator: ", ")).")
    var kind: String

    @Argument(help: "Task ids (query_task).")
    var ids: [String] = []

    @Option(help: "At most this many tasks.")
    var limit: Int = 100

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        guard Self.kinds.contains(kind) else {
            throw ValidationError("unknown kind '\(kind)': use \(Self.kinds.joined(separator: ", "))")
        }
        if kind == "query_task" {
            guard !ids.isEmpty else { throw ValidationError("query_task needs one or more task ids") }
            for id in ids where UUID(uuidString: id) == nil { throw ValidationError("'\(id)' is not a task id (a UUID)") }
        } else if !ids.isEmpty {
            throw ValidationError("only query_task takes task ids")
        }
    }

    func run() async throws {
        let app = try common.makeApp()
        defer { app.shutdown() }
        let rows: [JSONValue]
        let lines: [String]
        switch kind {
        case "registered":
            let types = try await app.registeredTaskTypes()
            rows = types.map {
                .object([
                    "name": .string($0.name), "acks_late": .bool($0.acksLate), "max_retries": .number(Double($0.maxRetries)),
                    "queue": $0.queue.map(JSONValue.string) ?? .null, "registered_by": .string($0.worker),
                ])
            }
            lines = types.map { "\($0.name)  acks_late=\($0.acksLate) max_retries=\($0.maxRetries)" }
        case "stats":
            let workers = try await app.workerStatus()
            rows = workers.map { worker in
                .object([
                    "worker": .string(worker.id), "name": .string(worker.name), "status": .string(worker.status),
                    "pool": .string(worker.pool), "concurrency": .number(Double(worker.concurrency)),
                    "active": .number(Double(worker.active)), "load": .number(worker.load),
                    "processed": .number(Double(worker.processed)), "succeeded": .number(Double(worker.succeeded)),
                    "failed": .number(Double(worker.failed)), "retried": .number(Double(worker.retried)),
                    "revoked": .number(Double(worker.revoked)), "pid": .number(Double(worker.pid)),
                    "uptime_seconds": .number(Date().timeIntervalSince(worker.startedAt).rounded()),
                    "heartbeat_age_seconds": .number(worker.heartbeatAge), "version": .string(worker.version),
                    "send_events": .bool(worker.sendEvents),
                ])
            }
            lines = workers.map {
                "\($0.id): \($0.status), pool \($0.pool) x\($0.concurrency), active \($0.active), load \($0.load), "
                    + "processed \($0.processed) (succeeded \($0.succeeded), failed \($0.failed), retried \($0.retried), "
                    + "revoked \($0.revoked)), heartbeat \(String(format: "%.1f", $0.heartbeatAge))s ago"
            }
        case "active_queues":
            let workers = try await app.workerStatus().filter { $0.status == "online" }
            rows = workers.map { .object(["worker": .string($0.id), "queues": .array($0.queues.map(JSONValue.string))]) }
            lines = workers.map { "\($0.id): \($0.queues.joined(separator: ", "))" }
        case "revoked":
            let revoked = try await app.revokedTasks()
            rows = revoked.map {
                .object([
                    "id": .string($0.id.celeryString), "reason": $0.reason.map(JSONValue.string) ?? .null,
                    "terminate": .bool($0.terminate), "revoked_by": .string($0.revokedBy),
                    "revoked_at": .number($0.revokedAt.timeIntervalSince1970), "pending": .bool($0.pending),
                ])
            }
            lines = revoked.map {
                "\($0.id.celeryString)  \($0.pending ? "stopping" : "revoked") by \($0.revokedBy)"
                    + "\($0.terminate ? " (terminate)" : ""): \($0.reason ?? "")"
            }
        case "query_task":
            let found = try await app.queryTasks(ids.compactMap { UUID(uuidString: $0) })
            rows = found.map {
                .object([
                    "id": .string($0.id.celeryString), "name": .string($0.name), "queue": .string($0.queue),
                    "state": .string($0.state), "worker": $0.worker.map(JSONValue.string) ?? .null,
                    "args": (try? JSONValue(json: $0.args)) ?? .string($0.args),
                    "kwargs": (try? JSONValue(json: $0.kwargs)) ?? .string($0.kwargs), "attempt": .number(Double($0.attempt)),
                ])
            }
            let missing = Set(ids.compactMap { UUID(uuidString: $0) }).subtracting(found.map(\.id))
            lines =
                found.map {
                    "\($0.name)[\($0.id.celeryString)] \($0.state) \($0.args) attempt \($0.attempt)"
                        + ($0.worker.map { " worker=\($0)" } ?? "")
                } + missing.sorted { $0.uuidString < $1.uuidString }.map { "\($0.celeryString): unknown" }
        default:
            let tasks = try await app.inspect(kind, limit: limit)
            rows = tasks.map {
                .object([
                    "id": .string($0.id.celeryString), "name": .string($0.name), "queue": .string($0.queue),
                    "state": .string($0.state), "worker": $0.worker.map(JSONValue.string) ?? .null,
                    "args": (try? JSONValue(json: $0.args)) ?? .string($0.args), "attempt": .number(Double($0.attempt)),
                ])
            }
            lines = tasks.map {
                "\($0.name)[\($0.id.celeryString)] \($0.args) queue=\($0.queue)\($0.worker.map { " worker=\($0)" } ?? "")"
            }
        }
        if json {
            print(JSONValue.array(rows).description)
        } else if lines.isEmpty {
            print("- empty -")
        } else {
            lines.forEach { print($0) }
        }
    }
}
