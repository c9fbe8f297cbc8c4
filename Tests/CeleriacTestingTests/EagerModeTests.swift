import Celeriac
import CeleriacTesting
import Foundation
import Synchronization
import Testing

/// Eager mode and `apply`, as a user's suite uses them: no database anywhere (the app points
/// at a port nothing listens on, so any query would fail).
@Suite struct EagerModeTests {
    struct Declined: Error {}

    static func eagerApp() -> CeleriacApp {
        let app = CeleriacApp("shop", database: "postgres://nobody@127.0.0.1:9/none", environment: [:])
        app.conf.taskAlwaysEager = true
        return app
    }

    @Test func applyRunsTheTaskAndReturnsItsResult() async throws {
        let app = Self.eagerApp()
        let add = app.task("tasks.add") { (x: Int, y: Int) async throws -> Int in x + y }
        #expect(try await add.apply(2, 3) == 5)
        let fails = app.task("tasks.fails") { (x: Int) async throws -> Int in throw Declined() }
        await #expect(throws: TaskFailedError.self) { try await fails.apply(1) }
    }

    @Test func applyWorksWithoutEagerModeToo() async throws {
        let app = CeleriacApp("shop", database: "postgres://nobody@127.0.0.1:9/none", environment: [:])
        let double = app.task("tasks.double") { (x: Int) async throws -> Int in x * 2 }
        #expect(try await double.apply(21) == 42)
    }

    @Test func delayRunsAtOnceAndTheResultIsReady() async throws {
        let app = Self.eagerApp()
        let ran = Counter()
        let add = app.task("tasks.add") { (x: Int, y: Int) async throws -> Int in
            ran.increment()
            return x + y
        }
        let result = try await add.delay(7, 11)
        #expect(ran.value == 1)
        #expect(try await result.state == .success)
        #expect(try await result.get() == 18)
    }

    @Test func chainsPassEachResultOn() async throws {
        let app = Self.eagerApp()
        let add = app.task("tasks.add") { (x: Int, y: Int) async throws -> Int in x + y }
        let total = try await (add.s(2, 2) | add.s(4) | add.s(8)).delay()
        #expect(try await total.get() == 16)
    }

    @Test func groupsAndChordsCollectTheirMembers() async throws {
        let app = Self.eagerApp()
        let add = app.task("tasks.add") { (x: Int, y: Int) async throws -> Int in x + y }
        let sum = app.task("tasks.sum") { (values: [Int]) async throws -> Int in values.reduce(0, +) }
        let members = try await group((0..<5).map { add.s($0, $0) }).delay()
        #expect(try await members.get() == [0, 2, 4, 6, 8])
        let chorded = try await chord(group((1...3).map { add.s($0, 1) }), sum.callback()).delay()
        #expect(try await chorded.get() == 9)
    }

    @Test func aFailedMemberFailsTheChordAndTheStepsAfter() async throws {
        let app = Self.eagerApp()
        let add = app.task("tasks.add") { (x: Int, y: Int) async throws -> Int in
            if x < 0 { throw Declined() }
            return x + y
        }
        let sum = app.task("tasks.sum") { (values: [Int]) async throws -> Int in values.reduce(0, +) }
        let failing = try await chord(group([add.s(1, 1), add.s(-1, 1)]), sum.callback()).delay()
        let error = await #expect(throws: TaskFailedError.self) { try await failing.get() }
        #expect("\(String(describing: error))".contains("ChordError"))
        let tolerant = try await chord(group([add.s(1, 1), add.s(-1, 1)]), sum.callback(), allowedFailures: 1).delay()
        #expect(try await tolerant.get() == 2)
        let chained = try await (add.s(-5, 1) | add.s(1)).delay()
        let aborted = await #expect(throws: TaskFailedError.self) { try await chained.get() }
        #expect("\(String(describing: aborted))".contains("ChainAborted"))
    }

    @Test func retriesRunAgainUpToTheLimit() async throws {
        let app = Self.eagerApp()
        let attempts = Counter()
        let flaky = app.task("tasks.flaky", maxRetries: 3) { (task: TaskContext) async throws -> String in
            attempts.increment()
            if task.retries < 2 { throw task.retry(because: Declined()) }
            return "ok after \(task.retries) retries"
        }
        #expect(try await flaky.delay().get() == "ok after 2 retries")
        #expect(attempts.value == 3)
        let hopeless = app.task("tasks.hopeless", maxRetries: 1) { (task: TaskContext) async throws -> String in
            throw task.retry(because: Declined())
        }
        await #expect(throws: TaskFailedError.self) { try await hopeless.delay().get() }
    }

    @Test func anUnknownTaskFailsWithNotRegistered() async throws {
        let app = Self.eagerApp()
        let id = try await app.enqueue(app.message(task: "tasks.missing", args: "[]"))
        let error = await #expect(throws: TaskFailedError.self) {
            try await AsyncResult<Int>(id: id, app: app).get()
        }
        #expect("\(String(describing: error))".contains("NotRegistered"))
    }
}

/// A count shared with task bodies.
final class Counter: Sendable {
    private let count = Mutex(0)
    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
