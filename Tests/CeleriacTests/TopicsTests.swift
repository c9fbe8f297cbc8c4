import CeleriacPostgres
import Testing

@testable import Celeriac

/// NOTIFY channels and their messages.
@Suite struct TopicsTests {
    let topics = Topics(schema: "jobs")

    @Test func channelsAreNamedForTheSchema() {
        #expect(topics.wakeup == "jobs.tasks")
        #expect(topics.schedules == "jobs.schedules")
        #expect(topics.control == "jobs.control")
        #expect(topics.events == "jobs.events")
        #expect(topics.replies == "jobs.replies")
        // The longest schema name keeps every channel under PostgreSQL's 63 bytes.
        let longest = Topics(schema: String(repeating: "s", count: 48))
        #expect([longest.wakeup, longest.schedules, longest.control, longest.events].allSatisfy { $0.utf8.count <= 63 })
    }

    @Test func notificationsReadAsTypedMessages() {
        func read(_ channel: String, _ payload: String) -> TopicMessage? {
            topics.message(Notification(channel: channel, payload: payload, senderPID: 1))
        }
        #expect(read("jobs.tasks", "emails") == .wakeup(queue: "emails"))
        #expect(read("jobs.schedules", "") == .schedulesChanged)
        #expect(read("jobs.control", #"* {"revoke":"x"}"#) == .control(.all, body: #"{"revoke":"x"}"#))
        #expect(read("jobs.control", "w1@host/42.abc ping") == .control(.worker("w1@host/42.abc"), body: "ping"))
        #expect(read("jobs.control", "") == nil)
        #expect(read("jobs.events", "3") == .events(payload: "3"))
        #expect(read("jobs.replies", "{}") == .reply(payload: "{}"))
        #expect(read("other.tasks", "emails") == nil)
    }

    @Test func controlPayloadsRoundTripAndAddressWorkers() {
        let payload = Topics.controlPayload(.worker("w1"), body: "shutdown")
        guard case .control(let target, let body)? = topics.message(Notification(channel: "jobs.control", payload: payload, senderPID: 1))
        else {
            Issue.record("not a control message: \(payload)")
            return
        }
        #expect(body == "shutdown")
        #expect(target.includes("w1") && !target.includes("w2"))
        #expect(TopicMessage.Target.all.includes("anyone"))
        // A node name addresses every instance of that node, and only those.
        let node = TopicMessage.Target.worker("celeriac@host")
        #expect(node.includes("celeriac@host/123.abc") && node.includes("celeriac@host"))
        #expect(!node.includes("celeriac@host2/123.abc") && !node.includes("other@host/1.x"))
    }
}
