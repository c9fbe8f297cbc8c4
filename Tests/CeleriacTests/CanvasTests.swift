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

    @Test func messagesApplyRoutesAndValidate() throws {
        let send = app.task("mail.send") { (to: String) -> Bool in !to.isEmpty }
        #expect(try send.message("x").queue == "emails")
        #expect(try send.message("x", options: CallOptions(queue: "urgent")).queue == "urgent")
        #expect(throws: EnqueueError.self) { try send.message("x", options: CallOptions(queue: "bad queue!")) }
        #expect(throws: EnqueueError.self) { try send.message("x", options: CallOptions(priority: 300)) }
        var conf = app.conf
        conf.maxPayloadBytes = 10
        app.conf = conf
        #expect(throws: EnqueueError.self) { try send.message(String(repeating: "x", count: 50)) }
    }

    @Test func uuidV7IsTimeOrderedWithVersionBits() {
        let a = UUID.v7(now: Date(timeIntervalSince1970: 1_000))
        let b = UUID.v7(now: Date(timeIntervalSince1970: 1_001))
        #expect(a.celeryString < b.celeryString)
        let text = a.celeryString
        #expect(text[text.index(text.startIndex, offsetBy: 14)] == "7")
        #expect("89ab".contains(text[text.index(text.startIndex, offsetBy: 19)]))
    }

    @Test func uuidTextIsTheLowerCaseStandardFormAndIdsDoNotRepeat() {
        let ids = (0..<10_000).map { _ in UUID.v7() }
        for id in ids.prefix(100) {
            #expect(id.celeryString == id.uuidString.lowercased())
            #expect(UUID(uuidString: id.celeryString) == id)
        }
        #expect(Set(ids).count == ids.count)
        // The random part differs even within one millisecond.
        let sameTime = Date(timeIntervalSince1970: 2_000)
        #expect(UUID.v7(now: sameTime) != UUID.v7(now: sameTime))
    }
}

@Suite struct ConfigurationTests {
    @Test func routesPreferExactNamesThenPatterns() {
        var conf = Configuration()
        conf.taskRoutes = ["tasks.*": "a", "tasks.add": "b", "*.report": "c"]
        #expect(conf.queue(forTask: "tasks.add") == "b")
        #expect(conf.queue(forTask: "tasks.mul") == "a")
        #expect(conf.queue(forTask: "x.report") == "c")
        #expect(conf.queue(forTask: "other") == "celery")
    }

    @Test func environmentOverridesAndErrors() throws {
        var conf = Configuration()
        try conf.applyEnvironment([
            "CELERIAC_DATABASE_URL": "postgres://h/db", "CELERIAC_SCHEMA": "jobs",
            "CELERIAC_WORKER_CONCURRENCY": "7", "CELERIAC_TASK_ACKS_LATE": "yes", "CELERIAC_RESULT_EXPIRES": "60",
        ])
        #expect(conf.databaseURL == "postgres://h/db")
        #expect(conf.schema == "jobs")
        #expect(conf.workerConcurrency == 7)
        #expect(conf.taskAcksLate)
        #expect(conf.resultExpires == .seconds(60))
        #expect(throws: ConfigurationError.self) { try conf.applyEnvironment(["CELERIAC_WORKER_CONCURRENCY": "many"]) }
        #expect(throws: ConfigurationError.self) { try conf.applyEnvironment(["CELERIAC_TASK_ACKS_LATE": "perhaps"]) }
    }

    @Test func validationNamesTheBadSetting() {
        var conf = Configuration()
        conf.schema = "Bad-Schema"
        #expect(throws: ConfigurationError.self) { try conf.validate() }
        conf = Configuration()
        conf.workerConcurrency = 0
        #expect(throws: ConfigurationError.self) { try conf.validate() }
        conf = Configuration()
        conf.workerLeaseDuration = .seconds(5)
        #expect(throws: ConfigurationError.self) { try conf.validate() }
        conf = Configuration()
        conf.taskSoftTimeLimit = .seconds(10)
        conf.taskTimeLimit = .seconds(5)
        #expect(throws: ConfigurationError.self) { try conf.validate() }
        #expect(throws: Never.self) { try Configuration().validate() }
    }

    @Test func statesMapToCeleryNames() {
        #expect(TaskState(databaseValue: "queued", trackStarted: true).celeryName == "PENDING")
        #expect(TaskState(databaseValue: "started", trackStarted: true) == .started)
        #expect(TaskState(databaseValue: "started", trackStarted: false) == .pending)
        #expect(TaskState(databaseValue: "succeeded", trackStarted: false).celeryName == "SUCCESS")
        #expect(TaskState(databaseValue: "failed", trackStarted: false).isReady)
        #expect(!TaskState(databaseValue: "retry", trackStarted: false).isReady)
    }
}
