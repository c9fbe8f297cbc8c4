import Celeriac
import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The dashboard in a real headless Chromium (Debian's chromium and chromium-driver, driven by
/// selenium: scripts/browser_test.py), next to a live worker started with -E. `make test`
/// installs them (scripts/browser.sh); where they cannot be installed the test is skipped and
/// says so. With CELERIAC_UPDATE_SCREENSHOTS=1 the screenshots go to docs/screenshots (the
/// README shows them), otherwise to a temporary directory.
@Suite struct BrowserTests {
    static var available: Bool {
        let files = FileManager.default
        guard files.isExecutableFile(atPath: "/usr/bin/chromium"), files.isExecutableFile(atPath: "/usr/bin/chromedriver")
        else { return false }
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        probe.arguments = ["python3", "-c", "import selenium"]
        probe.standardOutput = FileHandle.nullDevice
        probe.standardError = FileHandle.nullDevice
        guard (try? probe.run()) != nil else { return false }
        probe.waitUntilExit()
        return probe.terminationStatus == 0
    }

    @Test(.enabled(if: BrowserTests.available, "skipped: chromium, chromedriver or selenium missing (scripts/browser.sh installs them)"))
    func theDashboardWorksInARealBrowser() async throws {
        try await TestEnvironment.with { env in
            let (worker, workerPipe) = try ProcessTests.launch(
                "celeriac-test-worker", ["worker", "-E", "-c", "2", "--loglevel", "INFO"], schema: env.schema, url: env.url)
            // A port below Linux's ephemeral range (32768 and up), where the suite's own client
            // sockets could hold it; another one if the dashboard cannot bind it.
            var started: (port: Int, process: Process, pipe: Pipe)?
            for _ in 0..<3 where started == nil {
                let port = Int.random(in: 10_000..<30_000)
                let (monitor, monitorPipe) = try ProcessTests.launch(
                    "celeriac", ["monitor", "--port", String(port)], schema: env.schema, url: env.url)
                let health = try #require(URL(string: "http://127.0.0.1:\(port)/healthcheck"))
                let deadline = ContinuousClock.now + .seconds(30)
                while ContinuousClock.now < deadline, monitor.isRunning {
                    if let (data, _) = try? await URLSession.shared.data(from: health), String(decoding: data, as: UTF8.self) == "OK\n" {
                        started = (port, monitor, monitorPipe)
                        break
                    }
                    try await Task.sleep(for: .milliseconds(100))
                }
                if started == nil {
                    kill(monitor.processIdentifier, SIGTERM)
                    let output = await ProcessTests.output(of: monitor, monitorPipe)
                    Issue.record("the dashboard did not answer on port \(port):\n\(output)")
                }
            }
            guard let (port, monitor, monitorPipe) = started else {
                kill(worker.processIdentifier, SIGTERM)
                _ = await ProcessTests.output(of: worker, workerPipe)
                return
            }
            defer {
                kill(monitor.processIdentifier, SIGTERM)
                kill(worker.processIdentifier, SIGTERM)
            }
            let done = try await env.app.sendTask("tasks.add", args: "[2, 3]")
            #expect(try await done.get(timeout: .seconds(20)) == .number(5))
            let hostile = try await env.app.sendTask(
                "tasks.say", args: #"["<script>alert(1)</script>\"><img src=x onerror=alert(1)> javascript:alert(1)"]"#)
            _ = try await hostile.get(timeout: .seconds(20))
            let running = try await env.app.sendTask("tasks.nap", args: "[60000]")
            try await env.eventually("the nap runs") {
                try await env.count("SELECT count(*) FROM \(env.schema).tasks WHERE state = 'started'") == 1
            }
            let shots =
                ProcessInfo.processInfo.environment["CELERIAC_UPDATE_SCREENSHOTS"] == "1"
                ? TestEnvironment.packageRoot.appending(path: "docs/screenshots")
                : FileManager.default.temporaryDirectory.appending(path: "celeriac-shots-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: shots, withIntermediateDirectories: true)
            let script = Process()
            script.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            script.arguments = ["python3", TestEnvironment.packageRoot.appending(path: "scripts/browser_test.py").path]
            script.environment = ProcessInfo.processInfo.environment.merging([
                "BASE_URL": "http://127.0.0.1:\(port)", "RUNNING": running.id.celeryString, "DONE": done.id.celeryString,
                "HOSTILE": hostile.id.celeryString, "SHOTS": shots.path,
            ]) { $1 }
            let pipe = Pipe()
            script.standardOutput = pipe
            script.standardError = pipe
            try script.run()
            let output = await ProcessTests.output(of: script, pipe)
            #expect(script.terminationStatus == 0, "\(output)")
            #expect(output.contains("browser test: ok"), "\(output)")
            let error = await #expect(throws: TaskFailedError.self) { try await running.get(timeout: .seconds(10)) }
            #expect(error?.state == .revoked)
            for name in ["dashboard", "tasks", "task", "revoked", "queues"] {
                #expect(FileManager.default.fileExists(atPath: shots.appending(path: "\(name).png").path))
            }
            kill(monitor.processIdentifier, SIGTERM)
            kill(worker.processIdentifier, SIGTERM)
            _ = await ProcessTests.output(of: monitor, monitorPipe)
            _ = await ProcessTests.output(of: worker, workerPipe)
        }
    }
}
