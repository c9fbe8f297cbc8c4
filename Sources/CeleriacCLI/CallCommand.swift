import ArgumentParser
import Celeriac
import Foundation

struct CallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "call",
        abstract: "Enqueue a task by name with JSON arguments and print its id."
    )

    @OptionGroup var common: CommonOptions

    @Argument(help: "The task name, e.g. tasks.add.")
    var name: String

    @Option(name: .long, help: "Positional arguments as a JSON array.")
    var args: String = "[]"

    @Option(name: .long, help: "Keyword arguments as a JSON object.")
    var kwargs: String?

    @Option(name: .long, help: "Queue (default: routes, then the default queue).")
    var queue: String?

    @Option(name: .long, help: "Seconds to wait before the task may run.")
    var countdown: Double?

    @Option(name: .long, help: "Priority 0-255, higher first.")
    var priority: Int?

    func run() async throws {
        let app = try common.makeApp()
        defer { app.shutdown() }
        if let countdown, countdown < 0 { throw ValidationError("--countdown must not be negative") }
        let options = CallOptions(
            countdown: countdown.map { .fromSeconds($0) }, queue: queue, priority: priority, kwargs: kwargs
        )
        do {
            let result = try await app.sendTask(name, args: args, options: options)
            print(result.id.celeryString)
        } catch let error as EnqueueError {
            throw ValidationError(error.message)
        }
    }
}
