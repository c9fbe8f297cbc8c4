import ArgumentParser
import Celeriac

/// `pool-child`: one process of a prefork worker, started by the worker itself.
struct PoolChildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pool-child",
        abstract: "A prefork pool process (started by `worker --pool prefork`).",
        shouldDisplay: false
    )

    @OptionGroup var common: CommonOptions
    @Option var slot: Int
    @Option var hostname: String
    @Option var owner: String
    @Option var maxTasks: Int?
    @Option var maxMemory: Int?

    func run() async throws {
        guard CeleriacCommandLine.app != nil else {
            throw ValidationError("pool-child runs your tasks: start it from your own executable")
        }
        let app = try common.makeApp(retryFor: nil)
        try await PoolChild.run(
            app: app, slot: slot, hostname: hostname, owner: owner, maxTasks: maxTasks, maxMemoryKiB: maxMemory
        )
    }
}
