import Foundation
import Testing

@testable import Celeriac

/// Database states and their Celery names.
@Suite struct TaskStateTests {
    @Test func statesMapToCeleryNames() {
        #expect(TaskState(databaseValue: "queued", trackStarted: true).celeryName == "PENDING")
        #expect(TaskState(databaseValue: "started", trackStarted: true) == .started)
        #expect(TaskState(databaseValue: "started", trackStarted: false) == .pending)
        #expect(TaskState(databaseValue: "succeeded", trackStarted: false).celeryName == "SUCCESS")
        #expect(TaskState(databaseValue: "failed", trackStarted: false).isReady)
        #expect(!TaskState(databaseValue: "retry", trackStarted: false).isReady)
    }
}
