import ArgumentParser
import Celeriac
import Foundation

/// `celeriac status`: the live workers, answered by the workers themselves.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Ask every live worker to answer (a ping on the control topic) and list those that do."
    )

    @OptionGroup var common: CommonOptions

    @Option(help: "Seconds to wait for answers.")
    var timeout: Double = 1

    @Flag(help: "Print JSON.")
    var json = false

    func run() async throws {
        guard timeout > 0, timeout.isFinite else { throw ValidationError("--timeout must be a positive number of seconds") }
        let app = try common.makeApp()
        defer { app.shutdown() }
        let replies = try await app.ping(timeout: .fromSeconds(timeout))
        if json {
            let rows = replies.map { reply -> JSONValue in
                .object([
                    "worker": .string(reply.worker), "running": .number(Double(reply.running)),
                    "free": .number(Double(reply.free)), "queues": .array(reply.queues.map(JSONValue.string)),
                ])
            }
            print(JSONValue.array(rows).description)
        } else {
            for reply in replies {
                print("\(reply.worker): OK (running \(reply.running), free \(reply.free), queues \(reply.queues.joined(separator: ",")))")
            }
            print("\n\(replies.count) \(replies.count == 1 ? "node" : "nodes") online.")
        }
        if replies.isEmpty { throw ExitCode(1) }
    }
}

/// `celeriac inspect active|scheduled|reserved|registered`: read from the tables.
struct InspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "List active (running), scheduled or reserved (due, waiting) tasks, or the registered task types."
    )

    @OptionGroup var common: CommonOptions

    @Argument(help: "active, scheduled, reserved or registered.")
    var kind: String

    @Option(help: "At most this many tasks.")
    var limit: Int = 100

    @Flag(help: "Print JSON.")
    var json = false

    func run() async throws {
        let app = try common.makeApp()
        defer { app.shutdown() }
        if kind == "registered" {
            let types = try await app.registeredTaskTypes()
            if json {
                print(
                    JSONValue.array(
                        types.map {
                            .object([
                                "name": .string($0.name), "acks_late": .bool($0.acksLate),
                                "max_retries": .number(Double($0.maxRetries)), "queue": $0.queue.map(JSONValue.string) ?? .null,
                                "registered_by": .string($0.worker),
                            ])
                        }
                    ).description)
            } else {
                for type in types { print("\(type.name)  acks_late=\(type.acksLate) max_retries=\(type.maxRetries)") }
            }
            return
        }
        let tasks: [CeleriacApp.InspectedTask]
        do { tasks = try await app.inspect(kind, limit: limit) } catch let error as ConfigurationError {
            throw ValidationError("\(error.message); or registered")
        }
        if json {
            print(
                JSONValue.array(
                    tasks.map {
                        .object([
                            "id": .string($0.id.celeryString), "name": .string($0.name), "queue": .string($0.queue),
                            "state": .string($0.state), "worker": $0.worker.map(JSONValue.string) ?? .null,
                            "args": (try? JSONValue(json: $0.args)) ?? .string($0.args), "attempt": .number(Double($0.attempt)),
                        ])
                    }
                ).description)
        } else {
            for task in tasks {
                print("\(task.name)[\(task.id.celeryString)] \(task.args) queue=\(task.queue)\(task.worker.map { " worker=\($0)" } ?? "")")
            }
        }
    }
}
