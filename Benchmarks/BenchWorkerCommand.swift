import ArgumentParser
import Celeriac
import CeleriacCLI

/// `celeriac bench-worker`: a worker process that knows the benchmark's tasks. Started
/// by `celeriac bench`; not meant to be run by hand.
struct BenchWorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-worker",
        abstract: "A worker for the benchmark's own tasks (started by `bench`).",
        shouldDisplay: false
    )

    @OptionGroup var common: CommonOptions

    @Option(name: [.short, .customLong("concurrency")])
    var concurrency: Int = 16

    @Option(name: [.customShort("Q"), .customLong("queues")])
    var queues: String = "bench"

    @Flag(name: [.customShort("E"), .customLong("task-events")])
    var events = false

    func run() async throws {
        let app = try common.makeApp()
        _ = BenchTasks(app: app)
        var options = WorkerOptions()
        options.concurrency = concurrency
        options.queues = queues.split(separator: ",").map(String.init)
        options.nodeName = "bench@%h"
        options.events = events
        try await Worker(app: app, options: options).run(printBanner: false)
    }
}
