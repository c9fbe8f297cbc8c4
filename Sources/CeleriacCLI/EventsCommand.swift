import ArgumentParser
import Celeriac
import Foundation

/// `celeriac events`: a live tail of the event log, like `celery events --dump`.
struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Print task and worker events as they are recorded (workers started with -E).",
        discussion: """
            Reads the events table and follows the events topic. Task events (received, started,
            succeeded, failed, retried, revoked, rejected, lease-lost) come from workers started with
            -E or CELERIAC_WORKER_SEND_TASK_EVENTS=true; worker-online/offline, revocations and rescues
            are always recorded.
            """
    )

    @OptionGroup var common: CommonOptions

    @Option(name: .long, help: "Only tasks with this name (`*` matches any run of characters).")
    var task: String?

    @Option(
        name: .long, parsing: .upToNextOption,
        help: "Only these kinds: received, started, succeeded, failed, retried, revoked, rejected, lease-lost, worker.")
    var state: [String] = []

    @Option(name: .long, help: "Start this many seconds back instead of now.")
    var since: Double?

    @Option(name: .long, help: "Stop after this many events.")
    var count: Int?

    @Option(name: .long, help: "Stop after this many seconds.")
    var timeout: Double?

    @Flag(help: "Print one JSON object per line.")
    var json = false

    static let kinds = ["received", "started", "succeeded", "failed", "retried", "revoked", "rejected", "lease-lost", "worker"]

    func validate() throws {
        for kind in state where !Self.kinds.contains(Self.normalized(kind)) {
            throw ValidationError("unknown event kind '\(kind)': use \(Self.kinds.joined(separator: ", "))")
        }
        if let since, !(since >= 0 && since.isFinite) { throw ValidationError("--since takes a number of seconds") }
        if let count, count < 1 { throw ValidationError("--count must be at least 1") }
        if let timeout, !(timeout > 0 && timeout.isFinite) { throw ValidationError("--timeout takes a number of seconds") }
    }

    /// `task-succeeded` and `SUCCEEDED` mean `succeeded`.
    static func normalized(_ kind: String) -> String {
        let lower = kind.lowercased()
        return lower.hasPrefix("task-") ? String(lower.dropFirst(5)) : lower
    }

    func run() async throws {
        let app = try common.makeApp()
        defer { app.shutdown() }
        let kinds = Set(state.map(Self.normalized))
        let pattern = task.map(NamePattern.init)
        let start = since.map { Date(timeIntervalSinceNow: -$0) }
        let limit = count
        let asJSON = json
        let output = Task {
            var printed = 0
            for try await event in app.eventStream(since: start) {
                if !kinds.isEmpty {
                    let kind = event.kind.hasPrefix("worker-") ? "worker" : event.kind
                    guard kinds.contains(kind) else { continue }
                }
                if let pattern { guard let name = event.name, pattern.matches(name) else { continue } }
                FileHandle.standardOutput.write(Data(((asJSON ? event.json.description : EventsCommand.line(event)) + "\n").utf8))
                printed += 1
                if let limit, printed >= limit { return }
            }
        }
        if let timeout {
            let deadline = Task {
                try await Task.sleep(for: .fromSeconds(timeout))
                output.cancel()
            }
            defer { deadline.cancel() }
            try await output.value
        } else {
            try await output.value
        }
    }

    /// `[2026-11-30 05:01:02,123] task-succeeded tasks.add[0191…] attempt 1 in 0.0012s by celeriac@host/42.x`
    static func line(_ event: TaskEvent) -> String {
        var text = "[\(CeleryLogHandler.timestamp(event.at))] \(event.celeryKind)"
        if let id = event.taskID { text += " \(event.name ?? "?")[\(id.celeryString)]" }
        if let attempt = event.attempt { text += " attempt \(attempt)" }
        if let runtime = event.runtime { text += String(format: " in %.6fs", runtime) }
        if let worker = event.worker { text += " by \(worker)" }
        if let error = event.error { text += ": \(error.type): \(error.message)" }
        if event.taskID == nil, let detail = event.detail { text += " \(detail)" }
        return text
    }
}

/// A task-name filter with `*` wildcards.
struct NamePattern: Sendable {
    let parts: [Substring]

    init(_ pattern: String) {
        parts = pattern.split(separator: "*", omittingEmptySubsequences: false)
    }

    func matches(_ name: String) -> Bool {
        guard parts.count > 1 else { return name == parts.first.map(String.init) }
        var rest = Substring(name)
        guard let first = parts.first, rest.hasPrefix(first) else { return false }
        rest = rest.dropFirst(first.count)
        for part in parts.dropFirst().dropLast() where !part.isEmpty {
            guard let range = rest.range(of: part) else { return false }
            rest = rest[range.upperBound...]
        }
        guard let last = parts.last else { return true }
        return rest.hasSuffix(last)
    }
}
