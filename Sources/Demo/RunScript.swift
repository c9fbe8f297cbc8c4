// The walkthrough's test_script.py: run while a worker is up (`make demo` does both).
import ArgumentParser
import Celeriac
import CeleriacCLI
import Foundation

struct RunScript: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the walkthrough's test script against a running worker."
    )

    @OptionGroup var common: CommonOptions

    func run() async throws {
        let app = try common.makeApp()
        defer { app.shutdown() }

        // Send a task.
        let res1 = try await add.delay(7, 11)
        print("Task add sent, id =", res1.id.celeryString)

        // Wait for its result right away (fine in a script, not in a web handler).
        print("Result:", try await res1.get(timeout: .seconds(10)))

        // A chain: add(add(100, 200), 300).
        let res2 = add.s(100, 200) | add.s(300)
        let chained = try await res2.delay()
        print("Chain sent, id =", chained.id.celeryString)

        // A task with retries.
        let flaky = try await flakyTask.delay()
        print("flaky_task sent, id =", flaky.id.celeryString)

        print("Chain result:", try await chained.get(timeout: .seconds(30)))
        do {
            print("flaky_task result:", try await flaky.get(timeout: .seconds(60)))
        } catch let failure as TaskFailedError {
            print("flaky_task failed after all its retries:", failure)
        }
    }
}
