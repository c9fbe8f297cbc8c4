import Foundation
import Testing

@testable import Celeriac

@Suite struct CanvasTests {
    let app: CeleriacApp = {
        let app = CeleriacApp("canvas", database: "postgres://localhost/unused")
        app.conf.taskRoutes = ["mail.*": "emails"]
        return app
    }()

    @Test func chainCarriesTheRestInTheFirstRow() throws {
        let add = app.task("tasks.add") { (x: Int, y: Int) -> Int in x + y }
        let send = app.task("mail.send") { (to: String) -> Bool in !to.isEmpty }
        let chain = add.s(100, 200) | add.s(300) | send.si("a@b.c")
        #expect(chain.steps.map(\.task) == ["tasks.add", "tasks.add", "mail.send"])
        let (first, lastID) = try chain.firstMessage()
        #expect(first.name == "tasks.add")
        #expect(first.args == "[100,200]")
        #expect(first.rootID == first.id)
        let steps = try #require(try JSONSerialization.jsonObject(with: Data((first.chain ?? "").utf8)) as? [[String: Any]])
        #expect(steps.count == 2)
        #expect(steps[0]["task"] as? String == "tasks.add")
        #expect(steps[0]["args"] as? [Int] == [300])
        #expect(steps[0]["immutable"] as? Bool == false)
        #expect(steps[0]["queue"] as? String == "celery")
        #expect(steps[1]["task"] as? String == "mail.send")
        #expect(steps[1]["queue"] as? String == "emails")
        #expect(steps[1]["immutable"] as? Bool == true)
        #expect(steps[1]["id"] as? String == lastID.celeryString)
        #expect(first.id != lastID)
    }

    @Test func singleSignatureHasNoChain() throws {
        let add = app.task("tasks.add") { (x: Int, y: Int) -> Int in x + y }
        let (first, lastID) = try Chain<Int>(app: app, steps: [add.s(1, 2).step]).firstMessage()
        #expect(first.chain == nil)
        #expect(first.id == lastID)
    }

    @Test func stepsThatDoNotFitTogetherAreRefusedBeforeSending() throws {
        let add = app.task("tasks.add") { (x: Int, y: Int) -> Int in x + y }
        let concat = app.task("tasks.concat") { (a: String, b: String) -> String in a + b }
        let tsum = app.task("tasks.tsum") { (values: [Int]) -> Int in values.reduce(0, +) }
        let maybe = app.task("tasks.maybe") { (x: Int?) -> Int in x ?? 0 }

        #expect((add.s(1, 2) | add.s(3)).problem == nil)
        #expect((add.s(1, 2) | maybe.s()).problem == nil)
        // si() ignores the result: no check.
        #expect((add.s(1, 2) | concat.si("a", "b")).problem == nil)
        let wrongType = try #require((add.s(1, 2) | concat.s("x")).problem)
        #expect(wrongType.message == "tasks.concat takes String as its first argument, but the step before it returns Int")
        let tooMany = try #require((add.s(1, 2) | add.s(3, 4)).problem)
        #expect(tooMany.message.hasPrefix("tasks.add takes 2 arguments, but it was given 2"))
        #expect(throws: EnqueueError.self) { try (add.s(1, 2) | concat.s("x")).firstMessage() }

        // A chord's body receives the list of the header's results.
        #expect(chord([add.s(1, 1), add.s(2, 2)], tsum.s()).problem == nil)
        let notAList = try #require(chord([add.s(1, 1)], add.s(1)).problem)
        #expect(notAList.message == "tasks.add takes Int as its first argument, but the step before it returns Array<Int>")
        // A group's members each receive the step before it.
        #expect((add.s(1, 1) | group(add.s(1), add.s(2))).problem == nil)
        #expect((add.s(1, 1) | group(concat.s("x"), concat.s("y"))).problem != nil)
        // A later problem travels through further composition.
        #expect(((add.s(1, 2) | concat.s("x")) | concat.s("y")).problem != nil)
    }

    @Test func aGroupsMemberCannotEndInAGroup() throws {
        let add = app.task("tasks.add") { (x: Int, y: Int) -> Int in x + y }
        let inner = add.s(1, 1) | group(add.s(1), add.s(2))
        let outer = Group<Int>(chains: [Chain(app: app, canvas: inner.canvas, problem: nil)])
        #expect(throws: EnqueueError.self) { try CanvasPlan([.group(outer.step)], app: app) }
    }

    @Test func aChordPlansItsMembersAndItsRow() throws {
        let add = app.task("tasks.add") { (x: Int, y: Int) -> Int in x + y }
        let tsum = app.task("tasks.tsum") { (values: [Int]) -> Int in values.reduce(0, +) }
        let chained = chord([add.s(1, 1), add.s(2, 2)], tsum.s()) | add.s(5)
        let plan = try CanvasPlan(chained.canvas, app: app)
        #expect(plan.messages.count == 2)
        #expect(plan.groups.count == 1)
        let row = try #require(plan.groups.first)
        #expect(row.taskIDs == plan.messages.map(\.id))
        #expect(plan.messages.allSatisfy { $0.options.group == row.id && $0.rootID == row.id })
        let body = try #require(try JSONSerialization.jsonObject(with: Data((row.body ?? "").utf8)) as? [String: Any])
        #expect(body["task"] as? String == "tasks.tsum")
        let rest = try #require(try JSONSerialization.jsonObject(with: Data((row.rest ?? "").utf8)) as? [[String: Any]])
        #expect(rest.map { $0["task"] as? String } == ["tasks.add"])
        #expect(plan.finalID?.celeryString == rest.first?["id"] as? String)
    }
}

@Suite struct TaskLimitOptionsTests {
    @Test func ratesAreReadAsCeleryWritesThem() throws {
        #expect(try RateLimit("10/m").interval == 6)
        #expect(try RateLimit("2/s").interval == 0.5)
        #expect(try RateLimit("1/h").interval == 3_600)
        #expect(try RateLimit("4").interval == 0.25)
        #expect(RateLimit.perMinute(30).rate == "30/m")
        for bad in ["", "10/d", "0/m", "-1/s", "ten/m", "10/m/s"] {
            #expect(throws: EnqueueError.self, "\(bad)") { try RateLimit(bad) }
        }
        #expect(throws: EnqueueError.self) { try ConcurrencyLimit(0) }
    }

    @Test func eachCallSpendsTheBudgetOfItsKey() throws {
        #expect(LimitKey.task.key(task: "t", args: "[1]", kwargs: "{}") == "t")
        #expect(LimitKey.argument(0).key(task: "t", args: #"["acme", 2]"#, kwargs: "{}") == #"t:"acme""#)
        #expect(LimitKey.argument(1).key(task: "t", args: #"["acme", 2]"#, kwargs: "{}") == "t:2")
        #expect(LimitKey.argument(5).key(task: "t", args: "[1]", kwargs: "{}") == "t")
        #expect(LimitKey.keyword("customer").key(task: "t", args: "[]", kwargs: #"{"customer": 7}"#) == "t:7")
        #expect(LimitKey.fixed("stripe").key(task: "t", args: "[1]", kwargs: "{}") == "stripe")
        let app = CeleriacApp("limits", database: "postgres://localhost/unused")
        let sync = app.task(
            "tasks.sync",
            options: TaskOptions(rateLimit: try RateLimit("10/m"), concurrencyLimit: try ConcurrencyLimit(2, per: .argument(0)))
        ) { (customer: Int) -> Int in customer }
        // The task's own rate limit is registered with its type by its workers; the row carries
        // the concurrency limit with this call's key.
        let message = try sync.message(42)
        #expect(message.options.json == #"{"concurrency_limit":2,"concurrency_key":"tasks.sync:42"}"#)
        #expect(TaskRowOptions(json: message.options.json) == message.options)
        // A call's own rate limit travels in its row, with its key.
        var call = CallOptions()
        call.rateLimit = try RateLimit("5/s", per: .argument(0))
        let overridden = try sync.message(7, options: call)
        #expect(overridden.options.rateLimit == "5/s")
        #expect(overridden.options.rateKey == "tasks.sync:7")
        #expect(LimitKey.argument(2).spec == "argument:2")
        #expect(LimitKey.task.spec == nil)
    }
}

@Suite struct AgingScheduleTests {
    @Test func agingRunsOncePerInterval() {
        let schedule = AgingSchedule()
        let start = ContinuousClock.now
        #expect(schedule.due(at: start, every: .seconds(30)))
        #expect(!schedule.due(at: start + .seconds(10), every: .seconds(30)))
        #expect(!schedule.due(at: start + .seconds(29), every: .seconds(30)))
        #expect(schedule.due(at: start + .seconds(30), every: .seconds(30)))
        #expect(!schedule.due(at: start + .seconds(31), every: .seconds(30)))
    }
}

@Suite struct TypedCallbackTests {
    let app = CeleriacApp("typed", database: "postgres://localhost/unused")

    @Test func typedCallbacksChainWithoutAProblem() throws {
        let add = app.task("tasks.add") { (x: Int, y: Int) -> Int in x + y }
        let double = app.task("tasks.double") { (x: Int) -> Int in x * 2 }
        let tsum = app.task("tasks.tsum") { (values: [Int]) -> Int in values.reduce(0, +) }
        // Each of these compiles only because the types fit: `add.s(1, 2) | tsum.callback()`
        // (Int into [Int]) or `chord([add.s(1, 1)], double.callback())` ([Int] into Int) do not.
        let chained = add.s(1, 2) | double.callback() | double.callback()
        #expect(chained.problem == nil)
        #expect(chained.steps.map(\.task) == ["tasks.add", "tasks.double", "tasks.double"])
        let summed = chord([add.s(1, 1), add.s(2, 2)], tsum.callback())
        #expect(summed.problem == nil)
        let inChain = add.s(1, 1) | group(double.s(), double.s()) | tsum.callback() | double.callback()
        #expect(inChain.problem == nil)
        #expect(try CanvasPlan(inChain.canvas, app: app).messages.count == 1)
    }
}
