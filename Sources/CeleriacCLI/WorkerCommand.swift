import ArgumentParser
import Celeriac
import Foundation

struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run a worker: claim tasks from the queues and execute them."
    )

    @OptionGroup var common: CommonOptions

    @Option(name: [.short, .customLong("concurrency")], help: "Tasks run at once (default: worker_concurrency).")
    var concurrency: Int?

    @Option(name: [.customShort("Q"), .customLong("queues")], help: "Comma-separated queues (default: the default queue).")
    var queues: String?

    @Option(name: [.short, .customLong("hostname")], help: "Node name; %h is the host name (default celeriac@%h).")
    var nodeName: String = "celeriac@%h"

    @Flag(name: [.customShort("E"), .customLong("task-events")], help: "Send task events for monitoring.")
    var events = false

    @Flag(name: [.customShort("B"), .customLong("beat")], help: "Also run beat (periodic tasks) in this process.")
    var beat = false

    @Option(name: .long, help: "Execution pool: async (in-process) or prefork (a child process per slot).")
    var pool: String = "async"

    @Option(name: .long, help: "Prefork: replace a child process after this many tasks.")
    var maxTasksPerChild: Int?

    @Option(name: .long, help: "Prefork: replace a child process once its resident memory passes this many KiB.")
    var maxMemoryPerChild: Int?

    func run() async throws {
        guard CeleriacCommandLine.app != nil else {
            throw ValidationError(
                "the worker runs your tasks, so it must be started from your own executable: call CeleriacCommandLine.main(app:) in its main.swift"
            )
        }
        let app = try common.makeApp(retryFor: nil)
        var options = WorkerOptions()
        options.concurrency = concurrency
        options.queues = (queues ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        options.nodeName = nodeName
        options.events = events
        options.pool = pool
        options.embedBeat = beat
        options.maxTasksPerChild = maxTasksPerChild
        options.maxMemoryPerChildKiB = maxMemoryPerChild
        options.childLogLevel = common.loglevel
        if let concurrency, concurrency < 1 {
            throw ValidationError("--concurrency must be at least 1")
        }
        try await Worker(app: app, options: options).run()
        app.shutdown()
    }
}
