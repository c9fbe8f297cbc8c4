// The walkthrough's celery_app.py and tasks.py, in Swift.
import Celeriac
import Foundation

/// The walkthrough's app with its settings (`celery_app.py`).
let app: CeleriacApp = {
    let app = CeleriacApp("simple_example")
    app.conf.taskTrackStarted = true
    app.conf.taskTimeLimit = .seconds(30 * 60)  // 30 minutes
    app.conf.taskSoftTimeLimit = .seconds(29 * 60)
    app.conf.resultExpires = .seconds(3600)  // keep results for an hour
    app.conf.workerConcurrency = 2
    return app
}()

/// Python's ValueError, as the walkthrough raises it.
struct ValueError: Error, CustomStringConvertible {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

/// A simple task for the test: sleeps 3 s to imitate long work.
let add = app.task("tasks.add") { (x: Int, y: Int) async throws -> Int in
    try await Task.sleep(for: .seconds(3))
    let result = x + y
    print("Задача выполнена: \(x) + \(y) = \(result)")
    return result
}

/// Multiplies at once: the canvas part of the demo (groups and chords of it).
let mul = app.task("tasks.mul") { (x: Int, y: Int) async throws -> Int in x * y }

/// Adds up a list: a chord's body.
let tsum = app.task("tasks.tsum") { (values: [Int]) async throws -> Int in values.reduce(0, +) }

/// A task that sometimes fails and retries up to 3 times, 5 s apart.
///
/// As in the walkthrough it fails when `time % 2 > 1`; unlike it, the first attempt
/// always fails, so the demo shows a retry every time it runs.
let flakyTask = app.task("tasks.flaky_task", maxRetries: 3, defaultRetryDelay: .seconds(5)) { task in
    let x = Date().timeIntervalSince1970.truncatingRemainder(dividingBy: 2)
    print("time.time() % 2 = \(x)")
    if x > 1 || task.retries == 0 {
        throw task.retry(because: ValueError("Ой, упал!"))
    }
    return "Всё ок!"
}

/// The walkthrough's periodic use cases: every 5 minutes, and every day at 3:00.
/// Written to the schedule table when beat starts (`demo worker -B`, or `demo beat`).
func configureBeatSchedule() throws {
    app.conf.beatSchedule = [
        try add.periodic("add-every-5-minutes", .crontab("*/5 * * * *"), 16, 16),
        try add.periodic("add-daily-at-3am", .crontab("0 3 * * *", timeZone: "Europe/Moscow"), 3, 0),
    ]
}
