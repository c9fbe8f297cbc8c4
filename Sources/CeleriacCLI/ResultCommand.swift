import ArgumentParser
import Celeriac
import Foundation

struct ResultCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "result",
        abstract: "Print a task's state and result (or error) as JSON, or its history.",
        discussion: """
            --history prints every recorded event of the task (each attempt: received, started, and
            its outcome, with worker, runtime and error), from the events of workers started with -E
            and the transitions always recorded (revoke, rescue). With --json, as a JSON array.
            """
    )

    @OptionGroup var common: CommonOptions

    @Argument(help: "The task id.")
    var id: String

    @Option(name: .long, help: "Wait up to this many seconds for the task to finish.")
    var wait: Double?

    @Flag(name: .long, help: "Print the task's history (every attempt and event) instead.")
    var history = false

    @Flag(help: "With --history: print JSON.")
    var json = false

    func run() async throws {
        guard let taskID = UUID(uuidString: id) else { throw ValidationError("'\(id)' is not a task id (a UUID)") }
        let app = try common.makeApp()
        defer { app.shutdown() }
        if history {
            try await printHistory(taskID, app: app)
            return
        }
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

    private func printHistory(_ id: UUID, app: CeleriacApp) async throws {
        let events = try await app.history(of: id)
        if json {
            print(JSONValue.array(events.map(\.json)).description)
        } else if events.isEmpty {
            print("no events recorded for \(id.celeryString) (task events need a worker started with -E)")
        } else {
            for event in events { print(EventsCommand.line(event)) }
        }
        if events.isEmpty { throw ExitCode(1) }
    }
}
