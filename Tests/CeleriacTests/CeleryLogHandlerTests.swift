import Logging
import Testing

@testable import Celeriac

@Suite struct CeleryLogHandlerTests {
    @Test func aTasksLoggerPrintsAsCeleryTaskLoggerDoes() {
        let task: Logger.Metadata = [
            "task_id": "01a2", "task_name": "tasks.add", "task_attempt": "1", "worker": "w1@host", "order": "42",
        ]
        #expect(
            CeleryLogHandler.line(timestamp: "T", level: .info, label: "AsyncPoolWorker-1", message: "adding", metadata: task)
                == "[T: INFO/AsyncPoolWorker-1] tasks.add[01a2]: adding order=42")
        #expect(
            CeleryLogHandler.line(
                timestamp: "T", level: .warning, label: "MainProcess", message: "hello", metadata: ["db_password": "x"])
                == "[T: WARNING/MainProcess] hello db_password=**")
    }
}
