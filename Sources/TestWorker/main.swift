// A worker with misbehaving tasks, for the fault tests and `celeriac chaos`:
// `celeriac-test-worker worker --pool prefork -c 2`.
import Celeriac
import CeleriacCLI
import Foundation

let app = CeleriacApp("celeriac-test-worker")

/// Adds two numbers.
let add = app.task("tasks.add") { (x: Int, y: Int) async throws -> Int in x + y }

/// Sleeps, then answers: a slow but well-behaved task.
let nap = app.task("tasks.nap") { (milliseconds: Int) async throws -> Int in
    try await Task.sleep(for: .milliseconds(milliseconds))
    return milliseconds
}

/// Brings its process down the way Swift code does: a trap.
let crash = app.task("tasks.crash") { () async throws -> Int in
    let values: [Int] = []
    return values[values.count]  // index out of range: the process traps
}

/// Calls exit() in the middle of a task.
let quit = app.task("tasks.exit") { (code: Int32) async throws -> Int in
    exit(code)
}

/// Never finishes and ignores cancellation: only a hard time limit stops it.
let hang = app.task("tasks.hang") { () async throws -> Int in
    while true { usleep(50_000) }  // blocks and never checks for cancellation
}

/// Prints a line (shown by the supervisor as WARNING/ForkPoolWorker-N).
let say = app.task("tasks.say") { (text: String) async throws -> String in
    print(text)
    return text
}

/// The process id of the child running it (shows recycling).
let pid = app.task("tasks.pid") { () async throws -> Int32 in getpid() }

_ = (add, nap, crash, quit, hang, say, pid)
await CeleriacCommandLine.main(app: app)
