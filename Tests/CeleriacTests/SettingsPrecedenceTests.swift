import Foundation
import Testing

@testable import Celeriac

/// One order everywhere: defaults < code < environment < command-line overrides; a malformed
/// variable is an error naming it, and never hides the variables after it.
@Suite struct SettingsPrecedenceTests {
    @Test func theEnvironmentBeatsTheCodeAndOverridesBeatTheEnvironment() {
        let environment = ["CELERIAC_DATABASE_URL": "postgres://env/db", "CELERIAC_WORKER_CONCURRENCY": "4"]
        let app = CeleriacApp("precedence", database: "postgres://code/db", environment: environment)
        #expect(app.conf.databaseURL == "postgres://env/db")
        app.conf.workerConcurrency = 2
        app.conf.taskDefaultQueue = "from-code"
        #expect(app.conf.workerConcurrency == 4)
        #expect(app.conf.taskDefaultQueue == "from-code")
        app.override { $0.databaseURL = "postgres://flag/db" }
        #expect(app.conf.databaseURL == "postgres://flag/db")
        // A later change in code keeps both the environment and the override on top.
        app.conf.databaseURL = "postgres://code-again/db"
        #expect(app.conf.databaseURL == "postgres://flag/db")
        #expect(app.conf.workerConcurrency == 4)
    }

    @Test func withoutTheVariableTheCodeDecides() {
        let app = CeleriacApp("precedence", database: "postgres://code/db", environment: [:])
        #expect(app.conf.databaseURL == "postgres://code/db")
        app.conf.workerConcurrency = 2
        #expect(app.conf.workerConcurrency == 2)
    }

    @Test func aMalformedVariableIsNamedAndDoesNotHideTheOthers() async {
        let environment = [
            "CELERIAC_WORKER_CONCURRENCY": "many", "CELERIAC_TASK_ACKS_LATE": "perhaps", "CELERIAC_SCHEMA": "jobs",
            "CELERIAC_DATABASE_URL": "postgres://127.0.0.1:1/none",
        ]
        let app = CeleriacApp("precedence", environment: environment)
        #expect(app.conf.schema == "jobs")
        let error = #expect(throws: ConfigurationError.self) { try app.checkEnvironment() }
        #expect(error?.message.contains("CELERIAC_WORKER_CONCURRENCY must be an integer, got 'many'") == true)
        #expect(error?.message.contains("CELERIAC_TASK_ACKS_LATE must be true or false") == true)
        // The first call that needs the database says so too, before trying to connect.
        await #expect(throws: ConfigurationError.self) { try await app.purge() }
    }
}
