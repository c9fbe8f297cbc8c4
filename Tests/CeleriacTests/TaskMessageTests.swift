import Foundation
import Testing

@testable import Celeriac

/// Building a task row from a call: routes, validation, payload limit, row options.
@Suite struct TaskMessageTests {
    let app: CeleriacApp = {
        let app = CeleriacApp("messages", database: "postgres://localhost/unused")
        app.conf.taskRoutes = ["mail.*": "emails"]
        return app
    }()

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

    @Test func theRowCarriesOnlyWhatTheCallOverrides() throws {
        let send = app.task("mail.send", maxRetries: 7, acksLate: true) { (to: String) -> Bool in !to.isEmpty }
        let message = try send.message("x")
        // The task's own options are the workers' to register (task_types), not the producer's.
        #expect(message.options == TaskRowOptions())
        #expect(message.options.json == "{}")
        #expect(message.maxRetries == nil)
        #expect(message.isSimple)
        let overridden = try send.message("x", options: CallOptions(maxRetries: 2))
        #expect(overridden.maxRetries == 2)
        var later = message
        later.countdown = .seconds(5)
        #expect(!later.isDueNow && !later.isSimple)
    }
}
