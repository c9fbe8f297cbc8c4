import ArgumentParser
import Celeriac
import Foundation

/// `celeriac control shutdown [-d worker]`.
struct ControlCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "control",
        abstract: "Send a control command to one worker or to all, on the control topic.",
        subcommands: [Shutdown.self]
    )

    struct Shutdown: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Warm shutdown: stop claiming, finish running tasks, exit.")
        @OptionGroup var common: CommonOptions

        @Option(name: [.customShort("d"), .customLong("destination")], help: "One worker (node name or instance id); default all.")
        var destination: String?

        func run() async throws {
            let app = try common.makeApp()
            defer { app.shutdown() }
            do { try await app.shutdownWorkers(destination) } catch let error as ConfigurationError {
                throw ValidationError(error.message)
            }
            print("Shutdown sent to \(destination ?? "all workers").")
        }
    }
}
