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

        // The canvas (README, "Groups, chords and nested canvases"): printed as it finishes.
        try await canvas()
        do {
            print("flaky_task result:", try await flaky.get(timeout: .seconds(60)))
        } catch let failure as TaskFailedError {
            print("flaky_task failed after all its retries:", failure)
        }
    }
}

/// The README's canvas block, verbatim.
func canvas() async throws {
    // A group: the members run in parallel, results in member order.
    let products = try await group((0..<10).map { mul.s($0, $0) }).delay()
    print("Group:", try await products.get(timeout: .seconds(30)))  // [0, 1, 4, …, 81]
    // A chord: the body gets the list of the header's results, sent once with the last one.
    let total = try await chord((0..<10).map { mul.s($0, $0) }, tsum.callback()).delay()
    print("Chord:", try await total.get(timeout: .seconds(30)))  // 285
    // A chain of a group into a callback: each member gets 2, the callback their results.
    let fanned = try await (mul.s(1, 2) | group(mul.s(10), mul.s(100)) | tsum.callback()).delay()
    print("Chain with a group:", try await fanned.get(timeout: .seconds(30)))  // 220
    // Many calls in one task, and callbacks.
    print("Starmap:", try await mul.starmap([(2, 3), (4, 5)]).delay().get(timeout: .seconds(30)))  // [6, 20]
    let linked = try await mul.s(6, 7).link(tsum.si([1, 2])).delay()
    print("Linked:", try await linked.get(timeout: .seconds(30)), "root", linked.id.celeryString)  // 42
}
