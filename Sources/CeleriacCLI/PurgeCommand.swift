import ArgumentParser
import Celeriac
import Foundation

struct PurgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "purge",
        abstract: "Delete tasks waiting in the queues (running tasks are left alone)."
    )

    @OptionGroup var common: CommonOptions

    @Option(name: .long, help: "Only this queue (default: every queue).")
    var queue: String?

    @Flag(help: "Print JSON.")
    var json = false

    func run() async throws {
        let app = try common.makeApp()
        defer { app.shutdown() }
        if let queue {
            do { try QueueName.validate(queue) } catch { throw ValidationError("\(error)") }
        }
        let count = try await app.purge(queue: queue)
        if json {
            print(JSONValue.object(["purged": .number(Double(count)), "queue": queue.map(JSONValue.string) ?? .null]).description)
            return
        }
        let scope = queue.map { "queue \($0)" } ?? "all queues"
        print("Purged \(count) \(count == 1 ? "message" : "messages") from \(scope).")
    }
}
