// The README's walkthrough, verbatim: the build compiles it (ReadmeTests checks it matches).
import Celeriac
import CeleriacCLI
import Foundation

struct ValueError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

// The database: CELERIAC_DATABASE_URL (`scripts/pg.sh url` prints the local cluster's).
let app = CeleriacApp("simple_example")
app.conf.taskTrackStarted = true
app.conf.taskTimeLimit = .seconds(30 * 60)
app.conf.taskSoftTimeLimit = .seconds(29 * 60)
app.conf.resultExpires = .seconds(3600)
app.conf.workerConcurrency = 2

let add = app.task("tasks.add") { (x: Int, y: Int) async throws -> Int in
    try await Task.sleep(for: .seconds(3))
    return x + y
}
let flaky = app.task("tasks.flaky_task", maxRetries: 3, defaultRetryDelay: .seconds(5)) { task in
    if Date().timeIntervalSince1970.truncatingRemainder(dividingBy: 2) > 1 {
        throw task.retry(because: ValueError("Ой, упал!"))
    }
    return "Всё ок!"
}

if CommandLine.arguments.dropFirst().first == "produce" {
    // Producer side: `myapp produce`
    let r = try await add.delay(7, 11)  // returns at once; r.id is known
    print(try await r.get(timeout: .seconds(10)))  // 18, or throws TimeoutError
    let chained = try await (add.s(100, 200) | add.s(300)).delay()  // id of the last step
    print(try await chained.get(timeout: .seconds(30)))  // 600
} else {
    // Worker side, and every other command: `myapp worker`, `myapp migrate`, …
    _ = (add, flaky)  // globals are lazy: touch the tasks so they are registered
    await CeleriacCommandLine.main(app: app)
}
