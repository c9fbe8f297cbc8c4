import ArgumentParser
import Celeriac
import Foundation

struct RevokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke",
        abstract: "Revoke tasks: waiting ones never start, running ones are stopped; each ends REVOKED.",
        discussion: "Prints each id with what happened: revoked, revoking (running: its worker stops it), already finished or unknown."
    )

    @OptionGroup var common: CommonOptions

    @Argument(help: "Task ids.")
    var ids: [String]

    @Flag(help: "Kill the process running the task (prefork pool) instead of cancelling it cooperatively.")
    var terminate = false

    @Option(help: "The reason recorded with the revocation.")
    var reason: String = "revoked"

    @Flag(help: "Print JSON.")
    var json = false

    func run() async throws {
        let taskIDs = try ids.map { text -> UUID in
            guard let id = UUID(uuidString: text) else { throw ValidationError("'\(text)' is not a task id (a UUID)") }
            return id
        }
        let app = try common.makeApp()
        defer { app.shutdown() }
        let outcomes = try await app.revoke(taskIDs, terminate: terminate, reason: reason)
        if json {
            let rows = outcomes.map { JSONValue.object(["id": .string($0.id.celeryString), "outcome": .string($0.outcome)]) }
            print(JSONValue.array(rows).description)
        } else {
            for (id, outcome) in outcomes { print("\(id.celeryString)  \(outcome)") }
        }
    }
}
