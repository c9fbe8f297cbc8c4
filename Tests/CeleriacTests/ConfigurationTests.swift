import Foundation
import Testing

@testable import Celeriac

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
}
