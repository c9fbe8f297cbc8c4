import CeleriacPostgres
import Foundation

/// `celeriac bench-worker` processes started for one measurement.
final class WorkerProcesses {
    private let processes: [Process]
    private let logs: [URL]

    init(
        count: Int, concurrency: Int, url: DatabaseURL, schema: String, queues: [String] = ["bench"], events: Bool = false,
        environment extra: [String: String] = [:]
    ) throws {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var processes: [Process] = []
        var logs: [URL] = []
        for index in 0..<count {
            let process = Process()
            process.executableURL = executable
            process.arguments =
                [
                    "bench-worker", "-c", String(concurrency), "-Q", queues.joined(separator: ","), "--loglevel", "WARNING", "--schema",
                    schema,
                ] + (events ? ["-E"] : [])
            var environment = ProcessInfo.processInfo.environment
            environment["CELERIAC_DATABASE_URL"] = url.rawValue
            environment.merge(extra) { _, given in given }
            process.environment = environment
            let log = FileManager.default.temporaryDirectory.appending(path: "celeriac-bench-worker-\(getpid())-\(index).log")
            FileManager.default.createFile(atPath: log.path, contents: nil)
            let handle = try FileHandle(forWritingTo: log)
            process.standardOutput = handle
            process.standardError = handle
            try process.run()
            processes.append(process)
            logs.append(log)
        }
        self.processes = processes
        self.logs = logs
    }

    /// Waits until every worker has registered itself.
    func waitUntilReady(timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        // A worker is ready once its process has been up and its RSS stopped growing; the
        // drain clock starts at the first claim anyway, so this only bounds start-up noise.
        while ContinuousClock.now < deadline {
            try checkAlive()
            if processes.allSatisfy({ ProcessStats.memory(pid: $0.processIdentifier) != nil }) {
                try await Task.sleep(for: .milliseconds(300))
                return
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw BenchError("bench workers did not start")
    }

    /// Throws with the worker's log when one has died.
    func checkAlive() throws {
        for (process, log) in zip(processes, logs) where !process.isRunning {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            throw BenchError("a bench worker exited with status \(process.terminationStatus):\n\(text.suffix(2000))")
        }
    }

    func memory() -> [(rss: Double, peak: Double)] {
        processes.compactMap { ProcessStats.memory(pid: $0.processIdentifier) }
    }

    func cpuSeconds() -> Double {
        processes.compactMap { ProcessStats.cpuSeconds(pid: $0.processIdentifier) }.reduce(0, +)
    }

    /// Warm shutdown of every worker, then cleanup.
    func stop() {
        for process in processes where process.isRunning { kill(process.processIdentifier, SIGTERM) }
        for process in processes { process.waitUntilExit() }
        for log in logs { try? FileManager.default.removeItem(at: log) }
    }
}
