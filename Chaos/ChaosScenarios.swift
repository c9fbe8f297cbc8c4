import Celeriac
import Foundation

/// The fault suite: each scenario starts from a fresh schema, breaks something for real,
/// and reports tasks lost, duplicated effects, overlapping runs and recovery time.
enum ChaosScenarios {
    typealias Scenario = (name: String, run: @Sendable (ChaosHarness, ChaosSettings) async throws -> ChaosFigures)

    static let all: [Scenario] = [
        ("kill -9 mid-task", { try await killWorker($0, acksLate: false, $1) }),
        ("kill -9 mid-task, acks_late", { try await killWorker($0, acksLate: true, $1) }),
        ("SIGSTOP past the lease, SIGCONT", stopAndContinue),
        ("pg_ctl restart -m fast under load", { try await restartDatabase($0, mode: "fast", $1) }),
        ("pg_ctl restart -m immediate under load", { try await restartDatabase($0, mode: "immediate", $1) }),
        ("pg_terminate_backend of the workers", terminateBackends),
        ("SIGTERM with tasks running", warmShutdown),
        ("20,000 tasks, 4 workers, random kill -9", randomKills),
        ("several hosts (netns), one cut off", severalHosts),
        ("poison task crashing its process (prefork)", poisonTask),
        ("task hanging past its hard limit (prefork)", hangingTask),
    ]

    /// Not built yet: listed so the table says so.
    static let notRun: [(String, String)] = []

    static func severalHosts(_ h: ChaosHarness, _ settings: ChaosSettings) async throws -> ChaosFigures {
        var figures = ChaosFigures()
        let local = "@127.0.0.1:"
        guard getuid() == 0, let pgScript = settings.pgScript, let netns = settings.netnsScript,
            h.url.rawValue.contains(local), FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip")
        else {
            figures.note = "skipped: needs root, iproute2, --pg-script/--netns-script and the local cluster"
            return figures
        }
        guard try await runShell("\(netns) up 3 && \(pgScript) listen $(\(netns) addresses 3) >/dev/null 2>&1") == 0 else {
            figures.note = "skipped: could not create the network namespaces"
            _ = try await runShell("\(netns) down; \(pgScript) listen 127.0.0.1 >/dev/null 2>&1")
            return figures
        }
        let count = 150
        _ = try await h.enqueue(count, milliseconds: 500, acksLate: true)
        for host in 1...3 {
            try h.startWorker(
                "h\(host)", concurrency: 4, namespace: "celeriac-h\(host)",
                databaseURL: h.url.rawValue.replacingOccurrences(of: local, with: "@10.231.\(host).1:")
            )
        }
        try await Task.sleep(for: .milliseconds(2_500))
        let cutAt = try await h.databaseNow()
        _ = try await runShell("\(netns) cut 1")
        let finished = try await h.waitForFinal(count, timeout: .seconds(120))
        figures = try await h.measure(expected: count)
        figures.recoverySeconds = try await h.recovery(ofWorker: "h1", since: cutAt)
        // The cut-off worker cannot renew its leases: it must stop its tasks by itself.
        let deadline = ContinuousClock.now + .seconds(40)
        while !h.log(of: "h1").contains("cancelling"), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(250))
        }
        let stoppedItself = h.log(of: "h1").contains("cancelling")
        figures.note =
            (finished ? "" : "timed out; ")
            + "3 hosts on veth links; host 1 cut off after 2.5 s; it stopped its own tasks: \(stoppedItself ? "yes" : "no")"
        h.killHard("h1")
        h.stopAll()
        _ = try await runShell("\(netns) down; \(pgScript) listen 127.0.0.1 >/dev/null 2>&1")
        return figures
    }

    static func poisonTask(_ h: ChaosHarness, _ settings: ChaosSettings) async throws -> ChaosFigures {
        // acks_late for this call (the worker registers the task without it).
        var poison = try h.app.message(task: "tasks.crash", args: "[]", options: CallOptions(maxRetries: 2))
        poison.options.acksLate = true
        let others = try (0..<40).map { _ in try h.app.message(task: "tasks.nap", args: "[100]") }
        try await h.app.enqueue([poison] + others)
        try h.startTestWorker("p", environment: ["CELERIAC_TASK_REJECT_ON_WORKER_LOST": "true"])
        let finished = try await h.waitForFinal(others.count + 1, timeout: .seconds(60))
        var figures = try await h.measure(expected: others.count + 1)
        let attempts = try await h.scalar("SELECT attempt FROM \(h.schema).results WHERE id = $1", [poison.id.celeryString]) ?? "?"
        let alive = h.workers["p"]?.isRunning == true
        figures.note =
            (finished ? "" : "timed out; ")
            + "poison ended failed after \(attempts) attempts (each killed its child); worker still up: \(alive ? "yes" : "no")"
        h.stopAll()
        return figures
    }

    static func hangingTask(_ h: ChaosHarness, _ settings: ChaosSettings) async throws -> ChaosFigures {
        let hang = try h.app.message(task: "tasks.hang", args: "[]")
        let others = try (0..<40).map { _ in try h.app.message(task: "tasks.nap", args: "[100]") }
        try await h.app.enqueue([hang] + others)
        let started = try await h.databaseNow()
        try h.startTestWorker("h", environment: ["CELERIAC_TASK_TIME_LIMIT": "2"])
        let finished = try await h.waitForFinal(others.count + 1, timeout: .seconds(60))
        var figures = try await h.measure(expected: others.count + 1)
        let failedAt = try await h.scalar(
            "SELECT extract(epoch FROM finished_at) FROM \(h.schema).results WHERE id = $1", [hang.id.celeryString]
        ).flatMap(Double.init)
        let type = try await h.scalar("SELECT error->>'type' FROM \(h.schema).results WHERE id = $1", [hang.id.celeryString]) ?? "-"
        figures.recoverySeconds = failedAt.map { $0 - started }
        figures.note = (finished ? "" : "timed out; ") + "hard limit 2 s; the hanging task ended \(type); recovery = until it failed"
        h.stopAll()
        return figures
    }

    static func killWorker(_ h: ChaosHarness, acksLate: Bool, _ settings: ChaosSettings) async throws -> ChaosFigures {
        let count = 120
        _ = try await h.enqueue(count, milliseconds: 400, acksLate: acksLate)
        for name in ["a", "b", "c"] { try h.startWorker(name, concurrency: 4) }
        try await Task.sleep(for: .seconds(1))
        let killedAt = try await h.databaseNow()
        h.killHard("a")
        let finished = try await h.waitForFinal(count, timeout: .seconds(90))
        var figures = try await h.measure(expected: count)
        figures.recoverySeconds = try await h.recovery(ofWorker: "a", since: killedAt)
        figures.note = finished ? "lease \(settings.lease) s" : "timed out"
        h.stopAll()
        return figures
    }

    static func stopAndContinue(_ h: ChaosHarness, _ settings: ChaosSettings) async throws -> ChaosFigures {
        let count = 24
        _ = try await h.enqueue(count, milliseconds: 2_000, acksLate: true)
        try h.startWorker("a", concurrency: 4)
        try h.startWorker("b", concurrency: 4)
        try await Task.sleep(for: .seconds(1))
        h.signal("a", SIGSTOP)
        try await Task.sleep(for: .seconds(Double(settings.lease + 4)))
        h.signal("a", SIGCONT)
        let finished = try await h.waitForFinal(count, timeout: .seconds(90))
        var figures = try await h.measure(expected: count)
        let log = h.log(of: "a")
        let refused = log.components(separatedBy: "lease was lost").count - 1
        let cancelled = log.contains("cancelling")
        figures.note =
            (finished ? "" : "timed out; ")
            + "stopped \(settings.lease + 4) s; late writes refused: \(refused); stopped worker cancelled its runs: \(cancelled ? "yes" : "no")"
        h.stopAll()
        return figures
    }

    static func restartDatabase(_ h: ChaosHarness, mode: String, _ settings: ChaosSettings) async throws -> ChaosFigures {
        guard let pgScript = settings.pgScript else {
            var figures = ChaosFigures()
            figures.note = "skipped: no --pg-script"
            return figures
        }
        let count = 3_000
        _ = try await h.enqueue(count, milliseconds: 5, acksLate: true)
        try h.startWorker("a", concurrency: 8)
        try h.startWorker("b", concurrency: 8)
        try await Task.sleep(for: .milliseconds(800))
        let status = try await runShell("\(pgScript) restart \(mode) >/dev/null 2>&1")
        let back = try await h.databaseNow()
        let finished = try await h.waitForFinal(count, timeout: .seconds(120))
        var figures = try await h.measure(expected: count)
        let firstAfter = try await h.scalar(
            "SELECT extract(epoch FROM min(finished_at)) FROM \(h.schema).results WHERE finished_at > to_timestamp($1)",
            [String(back)]
        ).flatMap(Double.init)
        figures.recoverySeconds = firstAfter.map { $0 - back }
        figures.note = (finished ? "" : "timed out; ") + "restart exit \(status); recovery = first result after restart"
        h.stopAll()
        return figures
    }

    static func terminateBackends(_ h: ChaosHarness, _ settings: ChaosSettings) async throws -> ChaosFigures {
        let count = 3_000
        _ = try await h.enqueue(count, milliseconds: 5, acksLate: true)
        try h.startWorker("a", concurrency: 8)
        try h.startWorker("b", concurrency: 8)
        var terminated = 0
        for _ in 0..<3 {
            try await Task.sleep(for: .milliseconds(500))
            terminated += try await h.number(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'celeriac-worker:%' AND pg_terminate_backend(pid)"
            )
        }
        let finished = try await h.waitForFinal(count, timeout: .seconds(90))
        var figures = try await h.measure(expected: count)
        figures.note = (finished ? "" : "timed out; ") + "\(terminated) backends terminated"
        h.stopAll()
        return figures
    }

    static func warmShutdown(_ h: ChaosHarness, _ settings: ChaosSettings) async throws -> ChaosFigures {
        let count = 16
        _ = try await h.enqueue(count, milliseconds: 1_500, acksLate: false)
        try h.startWorker("a", concurrency: 8)
        try await Task.sleep(for: .milliseconds(700))
        let signalled = ContinuousClock.now
        h.signal("a", SIGTERM)
        h.workers["a"]?.waitUntilExit()
        let shutdown = (ContinuousClock.now - signalled)
        let doneByFirst = try await h.number("SELECT count(*) FROM \(h.schema).results WHERE state = 'succeeded'")
        try h.startWorker("b", concurrency: 8)
        let finished = try await h.waitForFinal(count, timeout: .seconds(60))
        var figures = try await h.measure(expected: count)
        figures.recoverySeconds = Double(shutdown.components.seconds) + Double(shutdown.components.attoseconds) / 1e18
        figures.note =
            (finished ? "" : "timed out; ") + "recovery = shutdown time; \(doneByFirst) finished before exit, rest run by the next worker"
        h.stopAll()
        return figures
    }

    static func randomKills(_ h: ChaosHarness, _ settings: ChaosSettings) async throws -> ChaosFigures {
        let count = settings.quick ? 4_000 : 20_000
        _ = try await h.enqueue(count, milliseconds: 2, acksLate: true)
        let names = ["a", "b", "c", "d"]
        for name in names { try h.startWorker(name, concurrency: 16) }
        var kills = 0
        let deadline = ContinuousClock.now + .seconds(240)
        while try await h.number("SELECT count(*) FROM \(h.schema).results") < count, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(1_500))
            guard let victim = names.randomElement() else { break }
            h.killHard(victim)
            kills += 1
            try h.startWorker(victim, concurrency: 16)
        }
        let finished = try await h.waitForFinal(count, timeout: .seconds(60))
        var figures = try await h.measure(expected: count)
        figures.note = (finished ? "" : "timed out; ") + "\(kills) kills"
        h.stopAll()
        return figures
    }
}

/// Runs a shell command and returns its exit status. Not Foundation's `Process`: its exit
/// detection waits for descendants too, and a restarted PostgreSQL server lives on.
func runShell(_ command: String) async throws -> Int32 {
    var pid: pid_t = 0
    let arguments = ["/bin/sh", "-c", command]
    let cArguments = arguments.map { strdup($0) } + [nil]
    defer { cArguments.forEach { free($0) } }
    let spawned = posix_spawn(&pid, "/bin/sh", nil, nil, cArguments, environ)
    guard spawned == 0 else { throw ChaosError("could not run \(command): error \(spawned)") }
    var status: Int32 = 0
    while waitpid(pid, &status, WNOHANG) == 0 {
        try await Task.sleep(for: .milliseconds(50))
    }
    return (status >> 8) & 0xff
}

struct ChaosError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Settings of one `celeriac chaos` run.
struct ChaosSettings {
    var lease = 4
    /// `scripts/pg.sh`, to restart the local cluster or make it listen on more addresses.
    var pgScript: String?
    /// `scripts/netns.sh`, to make worker hosts out of network namespaces.
    var netnsScript: String?
    var quick = false
}
