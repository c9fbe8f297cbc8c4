import ArgumentParser
import Celeriac
import Foundation

struct ResultCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "result",
        abstract: "Print a task's state and result (or error) as JSON."
    )

    @OptionGroup var common: CommonOptions

    @Argument(help: "The task id.")
    var id: String

    @Option(name: .long, help: "Wait up to this many seconds for the task to finish.")
    var wait: Double?

    func run() async throws {
        guard let taskID = UUID(uuidString: id) else { throw ValidationError("'\(id)' is not a task id (a UUID)") }
        let app = try common.makeApp()
        defer { app.shutdown() }
        let handle = AsyncResult<JSONValue>(id: taskID, app: app)
        if let wait {
            do {
                _ = try await handle.get(timeout: .fromSeconds(wait))
            } catch is TimeoutError {
                // Report the state reached below; the exit status says it did not finish.
            } catch is TaskFailedError {
                // Printed below.
            }
        }
        let snapshot = try await handle.snapshot()
        var fields: [String: JSONValue] = [
            "id": .string(taskID.celeryString),
            "state": .string(snapshot.state.celeryName),
        ]
        if let name = snapshot.name { fields["task"] = .string(name) }
        if let json = snapshot.resultJSON { fields["result"] = (try? JSONValue(json: json)) ?? .string(json) }
        if let error = snapshot.error {
            var errorFields: [String: JSONValue] = ["type": .string(error.type), "message": .string(error.message)]
            if let traceback = error.traceback { errorFields["traceback"] = .string(traceback) }
            fields["error"] = .object(errorFields)
        }
        print(JSONValue.object(fields).description)
        if wait != nil, !snapshot.state.isReady { throw ExitCode(2) }
        if snapshot.state == .failure || snapshot.state == .revoked { throw ExitCode(1) }
    }
}
