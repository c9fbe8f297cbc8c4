import ArgumentParser
import Celeriac
import CeleriacCLI

/// `celeriac chaos-worker`: a worker for the fault suite's task. Started by `celeriac chaos`.
struct ChaosWorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chaos-worker",
        abstract: "A worker for the fault suite's task (started by `chaos`).",
        shouldDisplay: false
    )

    @OptionGroup var common: CommonOptions

    @Option(name: [.short, .customLong("concurrency")])
    var concurrency: Int = 8

    @Option(name: [.short, .customLong("hostname")])
    var nodeName: String = "chaos@%h"

    func run() async throws {
        let app = try common.makeApp(retryFor: nil)
        ChaosTasks.register(in: app)
        var options = WorkerOptions()
        options.concurrency = concurrency
        options.queues = ["chaos"]
        options.nodeName = nodeName
        try await Worker(app: app, options: options).run(printBanner: false)
    }
}
