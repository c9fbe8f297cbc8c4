import ArgumentParser
import Celeriac
import Foundation

/// `celeriac control shutdown|pool_grow|pool_shrink|add_consumer|cancel_consumer [-d worker]`:
/// Celery's `celery control`, through `celeriac.control()`.
struct ControlCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "control",
        abstract: "Send a control command to one worker or to all (celeriac.control(): recorded, audited).",
        discussion: """
            The command is delivered on the control topic and kept for five minutes, so a live
            worker that missed it (its connection was down) acts on it at its next heartbeat.
            """,
        subcommands: [Shutdown.self, PoolGrow.self, PoolShrink.self, AddConsumer.self, CancelConsumer.self]
    )

    struct Target: ParsableArguments {
        @Option(
            name: [.customShort("d"), .customLong("destination")], help: "One worker (node name or instance id); default all.")
        var destination: String?

        @Flag(help: "Print the message id as JSON.")
        var json = false

        func send(_ command: CeleriacApp.ControlCommand, with common: CommonOptions) async throws {
            let app = try common.makeApp()
            defer { app.shutdown() }
            let id: Int
            do { id = try await app.control(command, destination: destination) } catch let error as ConfigurationError {
                throw ValidationError(error.message)
            }
            if json {
                print(JSONValue.object(["id": .number(Double(id)), "destination": .string(destination ?? "*")]).description)
            } else {
                print("Sent \(command) to \(destination ?? "all workers") (message \(id)).")
            }
        }
    }

    struct Shutdown: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Warm shutdown: stop claiming, finish running tasks, exit.")
        @OptionGroup var common: CommonOptions
        @OptionGroup var target: Target
        func run() async throws { try await target.send(.shutdown, with: common) }
    }

    struct PoolGrow: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "pool_grow", abstract: "Run N more tasks at once.")
        @OptionGroup var common: CommonOptions
        @OptionGroup var target: Target
        @Argument(help: "How many slots to add.") var n: Int = 1
        func validate() throws { guard n >= 1 else { throw ValidationError("N must be at least 1") } }
        func run() async throws { try await target.send(.poolGrow(n), with: common) }
    }

    struct PoolShrink: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "pool_shrink", abstract: "Run N fewer tasks at once (never below one).")
        @OptionGroup var common: CommonOptions
        @OptionGroup var target: Target
        @Argument(help: "How many slots to remove.") var n: Int = 1
        func validate() throws { guard n >= 1 else { throw ValidationError("N must be at least 1") } }
        func run() async throws { try await target.send(.poolShrink(n), with: common) }
    }

    struct AddConsumer: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add_consumer", abstract: "Start consuming a queue.")
        @OptionGroup var common: CommonOptions
        @OptionGroup var target: Target
        @Argument(help: "The queue.") var queue: String
        func run() async throws { try await target.send(.addConsumer(queue), with: common) }
    }

    struct CancelConsumer: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "cancel_consumer", abstract: "Stop consuming a queue.")
        @OptionGroup var common: CommonOptions
        @OptionGroup var target: Target
        @Argument(help: "The queue.") var queue: String
        func run() async throws { try await target.send(.cancelConsumer(queue), with: common) }
    }
}
