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

    @Test func everySettingButTheScheduleComesFromTheEnvironment() throws {
        var conf = Configuration()
        try conf.applyEnvironment([
            "CELERIAC_TASK_ROUTES": "tasks.*=q1, mail.send=emails", "CELERIAC_QUEUE_CONCURRENCY_LIMITS": "emails=5",
            "CELERIAC_DEFAULT_PRIORITY": "9", "CELERIAC_DEFAULT_MAX_RETRIES": "7", "CELERIAC_DEFAULT_RETRY_DELAY": "2.5",
            "CELERIAC_CLAIM_BATCH_SIZE": "50", "CELERIAC_COMPLETION_BATCH_SIZE": "200", "CELERIAC_SHUTDOWN_GRACE": "30",
            "CELERIAC_PRODUCER_POOL_SIZE": "8", "CELERIAC_TASK_TRACK_STARTED": "on", "CELERIAC_TASK_ALWAYS_EAGER": "true",
        ])
        #expect(conf.taskRoutes == ["tasks.*": "q1", "mail.send": "emails"])
        #expect(conf.queueConcurrencyLimits == ["emails": 5])
        #expect(conf.taskDefaultPriority == 9)
        #expect(conf.taskDefaultMaxRetries == 7)
        #expect(conf.taskDefaultRetryDelay == .milliseconds(2_500))
        #expect(conf.workerClaimBatchSize == 50 && conf.workerCompletionBatchSize == 200)
        #expect(conf.workerShutdownGrace == .seconds(30))
        #expect(conf.producerPoolSize == 8)
        #expect(conf.taskTrackStarted && conf.taskAlwaysEager)
        let variables = Set(conf.entries.compactMap(\.variable))
        #expect(conf.entries.filter { $0.variable == nil }.map(\.name) == ["beatSchedule"])
        #expect(variables.contains("CELERIAC_TASK_ROUTES"))
        #expect(throws: ConfigurationError.self) { try conf.applyEnvironment(["CELERIAC_TASK_ROUTES": "tasks.*"]) }
        #expect(throws: ConfigurationError.self) {
            try conf.applyEnvironment(["CELERIAC_QUEUE_CONCURRENCY_LIMITS": "emails=none"])
        }
        #expect(throws: ConfigurationError.self) { try conf.applyEnvironment(["CELERIAC_DEFAULT_PRIORITY": "high"]) }
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
