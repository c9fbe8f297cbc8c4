import ArgumentParser
import Celeriac
import Foundation

struct RetryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry",
        abstract: "Run failed or revoked tasks again, with the same ids (their old outcome is kept in task_attempts).",
        discussion: "Prints each id with what happened: retried, not failed or unknown."
    )

    @OptionGroup var common: CommonOptions

    @Argument(help: "Task ids.")
    var ids: [String]

    @Flag(help: "Print JSON.")
    var json = false

    func run() async throws {
        let taskIDs = try ids.map { text -> UUID in
            guard let id = UUID(uuidString: text) else { throw ValidationError("'\(text)' is not a task id (a UUID)") }
            return id
        }
        let app = try common.makeApp()
        defer { app.shutdown() }
        let outcomes = try await app.retry(taskIDs)
        if json {
            let rows = outcomes.map { JSONValue.object(["id": .string($0.id.celeryString), "outcome": .string($0.outcome)]) }
            print(JSONValue.array(rows).description)
        } else {
            for (id, outcome) in outcomes { print("\(id.celeryString)  \(outcome)") }
        }
    }
}
