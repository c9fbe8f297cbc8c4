import Celeriac
import CeleriacPostgres
import Foundation

/// Runs the fault suite's processes against one schema and measures what happened.
final class ChaosHarness {
    let app: CeleriacApp
    let url: DatabaseURL
    let schema: String
    /// Environment for workers: short leases so rescue takes seconds, not minutes.
    let workerEnvironment: [String: String]
    private(set) var workers: [String: Process] = [:]
    private var logs: [String: URL] = [:]
    private let directory: URL

    init(app: CeleriacApp, url: DatabaseURL, lease: Int) throws {
        self.app = app
        self.url = url
        schema = app.conf.schema
        workerEnvironment = [
            "CELERIAC_DATABASE_URL": url.rawValue, "CELERIAC_SCHEMA": app.conf.schema,
            "CELERIAC_LEASE_SECONDS": String(lease), "CELERIAC_HEARTBEAT_SECONDS": "1",
            "CELERIAC_MAINTENANCE_INTERVAL": "1", "CELERIAC_POLL_INTERVAL": "0.5",
        ]
        directory = FileManager.default.temporaryDirectory.appending(path: "celeriac-chaos-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    /// A fresh schema with the run log table.
    func reset() async throws {
        try await execute("DROP SCHEMA IF EXISTS \(schema) CASCADE")
        try await app.migrate()
        try await execute(
            """
            CREATE TABLE \(schema).chaos_runs (
                task_id uuid NOT NULL, attempt int NOT NULL, worker text NOT NULL,
                started_at timestamptz NOT NULL DEFAULT clock_timestamp(), finished_at timestamptz,
                committed boolean NOT NULL DEFAULT false
            )
            """
        )
    }

    /// Starts a chaos worker; with `namespace`, inside that network namespace (another "host")
    /// and reaching the database at `databaseURL`.
    func startWorker(_ name: String, concurrency: Int, namespace: String? = nil, databaseURL: String? = nil) throws {
        let process = Process()
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        let arguments = ["chaos-worker", "-c", String(concurrency), "-n", "\(name)@%h", "--loglevel", "INFO"]
        if let namespace {
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
            process.arguments = ["netns", "exec", namespace, executable.path] + arguments
        } else {
            process.executableURL = executable
            process.arguments = arguments
        }
        var environment = ProcessInfo.processInfo.environment.merging(workerEnvironment) { $1 }
        if let databaseURL { environment["CELERIAC_DATABASE_URL"] = databaseURL }
        process.environment = environment
        let log = directory.appending(path: "\(name).log")
        if !FileManager.default.fileExists(atPath: log.path) { FileManager.default.createFile(atPath: log.path, contents: nil) }
        let handle = try FileHandle(forWritingTo: log)
        handle.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        workers[name] = process
        logs[name] = log
    }

    /// A prefork worker of `celeriac-test-worker` (built next to this executable), whose
    /// tasks misbehave on purpose.
    func startTestWorker(_ name: String, environment: [String: String] = [:]) throws {
        let process = Process()
        let directory = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        process.executableURL = directory.appending(path: "celeriac-test-worker")
        process.arguments = ["worker", "--pool", "prefork", "-c", "2", "-n", "\(name)@%h", "--loglevel", "INFO"]
        process.environment = ProcessInfo.processInfo.environment.merging(workerEnvironment) { $1 }.merging(environment) { $1 }
        let file = self.directory.appending(path: "\(name).log")
        FileManager.default.createFile(atPath: file.path, contents: nil)
        let handle = try FileHandle(forWritingTo: file)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        workers[name] = process
        logs[name] = file
    }

    func signal(_ name: String, _ number: Int32) {
        if let process = workers[name], process.isRunning { kill(process.processIdentifier, number) }
    }

    /// SIGKILL and reap.
    func killHard(_ name: String) {
        guard let process = workers[name] else { return }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// SIGTERM every worker and wait for them.
    func stopAll() {
        for process in workers.values where process.isRunning { kill(process.processIdentifier, SIGTERM) }
        for process in workers.values { process.waitUntilExit() }
        workers.removeAll()
    }

    func log(of name: String) -> String {
        logs[name].flatMap { try? String(contentsOf: $0, encoding: .utf8) } ?? ""
    }

    /// Enqueues `count` chaos tasks of `milliseconds` each.
    /// `acksLate` is set on each row, a per-call override of what the workers register.
    func enqueue(_ count: Int, milliseconds: Int, acksLate: Bool) async throws -> [UUID] {
        var ids: [UUID] = []
        var remaining = count
        while remaining > 0 {
            let chunk = min(remaining, 5_000)
            let messages = try (0..<chunk).map { _ in
                var message = try app.message(task: "chaos.work", args: "[\(milliseconds)]", options: CallOptions(queue: "chaos"))
                message.options.acksLate = acksLate
                return message
            }
            try await app.enqueue(messages)
            ids += messages.map(\.id)
            remaining -= chunk
        }
        return ids
    }

    /// Waits until `count` tasks have a final state, or the timeout.
    func waitForFinal(_ count: Int, timeout: Duration) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await number("SELECT count(*) FROM \(schema).results") >= count { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    /// The database clock, as epoch seconds.
    func databaseNow() async throws -> Double {
        Double(try await scalar("SELECT extract(epoch FROM clock_timestamp())") ?? "0") ?? 0
    }

    /// Seconds from `since` (database clock) until the last task that worker `name` left
    /// unfinished reached a final state elsewhere.
    func recovery(ofWorker name: String, since: Double) async throws -> Double? {
        try await scalar(
            """
            SELECT extract(epoch FROM max(r.finished_at)) FROM \(schema).results AS r
            WHERE r.id IN (SELECT task_id FROM \(schema).chaos_runs WHERE worker LIKE $1 AND NOT committed)
            """,
            ["\(name)@%"]
        ).flatMap(Double.init).map { $0 - since }
    }

    /// The figures every scenario reports.
    func measure(expected: Int) async throws -> ChaosFigures {
        var figures = ChaosFigures()
        figures.tasks = expected
        figures.final = try await number("SELECT count(*) FROM \(schema).results")
        figures.lost = expected - figures.final
        figures.succeeded = try await number("SELECT count(*) FROM \(schema).results WHERE state = 'succeeded'")
        figures.workerLost = try await number("SELECT count(*) FROM \(schema).results WHERE error->>'type' = 'WorkerLostError'")
        figures.duplicateEffects = try await number(
            "SELECT count(*) FROM (SELECT task_id FROM \(schema).chaos_runs WHERE committed GROUP BY task_id HAVING count(*) > 1) AS d"
        )
        // Two runs of one task whose effects both committed and whose run times overlap.
        figures.overlap = try await number(
            """
            SELECT count(*) FROM \(schema).chaos_runs AS a JOIN \(schema).chaos_runs AS b
              ON a.task_id = b.task_id AND a.ctid < b.ctid AND a.committed AND b.committed
             AND a.started_at < b.finished_at AND b.started_at < a.finished_at
            """
        )
        figures.reruns = try await number(
            "SELECT count(*) FROM (SELECT task_id FROM \(schema).chaos_runs GROUP BY task_id HAVING count(*) > 1) AS r"
        )
        return figures
    }

    func execute(_ sql: String, _ parameters: [String?] = []) async throws {
        // Through the producer's retry: the suite restarts the database under its own feet.
        _ = try await app.sendQuery(sql, parameters)
    }

    func scalar(_ sql: String, _ parameters: [String?] = []) async throws -> String? {
        try await app.sendQuery(sql, parameters)
    }

    func number(_ sql: String, _ parameters: [String?] = []) async throws -> Int {
        Int(try await scalar(sql, parameters) ?? "0") ?? 0
    }

    func cleanUp() {
        stopAll()
        try? FileManager.default.removeItem(at: directory)
    }
}

/// What one scenario measured.
struct ChaosFigures {
    var tasks = 0
    var final = 0
    var lost = 0
    var succeeded = 0
    var workerLost = 0
    var duplicateEffects = 0
    var overlap = 0
    var reruns = 0
    var recoverySeconds: Double?
    var note = ""
}
