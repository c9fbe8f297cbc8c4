import Foundation
import Testing

@testable import Celeriac

/// The completion writer's batch policy, on a clock the test moves by hand.
@Suite struct CompletionBufferTests {
    let start = ContinuousClock.now

    static func completion(_ outcome: Completion.Outcome = .succeeded) -> Completion {
        let task = ClaimedTask(id: UUID(), name: "tasks.add", queue: "celery")
        return Completion(task, outcome, payload: "3", runtime: 0.001)
    }

    @Test func anOutcomeWaitsAtMostTheFlushDelayWhileOthersRun() {
        var buffer = CompletionBuffer(batchSize: 500)
        #expect(!buffer.shouldFlush(running: 3, claiming: false, now: start))
        #expect(buffer.deadline == nil)
        buffer.add([Self.completion()], now: start)
        #expect(!buffer.shouldFlush(running: 3, claiming: false, now: start + .milliseconds(1)))
        #expect(buffer.deadline == start + CompletionBuffer.flushDelay)
        // A later outcome shares the first one's deadline.
        buffer.add([Self.completion()], now: start + .milliseconds(1))
        #expect(buffer.deadline == start + CompletionBuffer.flushDelay)
        #expect(buffer.shouldFlush(running: 3, claiming: false, now: start + .milliseconds(2)))
        buffer.clear()
        #expect(buffer.pending.isEmpty && buffer.deadline == nil)
    }

    @Test func aClaimIdleSlotsOrAFullBatchFlushAtOnce() {
        var buffer = CompletionBuffer(batchSize: 3)
        buffer.add([Self.completion()], now: start)
        #expect(buffer.shouldFlush(running: 3, claiming: true, now: start))
        #expect(buffer.shouldFlush(running: 0, claiming: false, now: start))
        #expect(!buffer.shouldFlush(running: 1, claiming: false, now: start))
        buffer.add([Self.completion(.failed), Self.completion(.retry)], now: start)
        #expect(buffer.shouldFlush(running: 1, claiming: false, now: start))
        #expect(buffer.ids.count == 3)
    }
}
