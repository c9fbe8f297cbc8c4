import Foundation
import Synchronization
import Testing

@testable import CeleriacDashboard

/// Every page following /events/stream shares one upstream: started by the first
/// subscriber, stopped by the last, and its end ends every subscriber.
@Suite struct EventBroadcastTests {
    /// An upstream the test feeds by hand, counting how often it was opened.
    final class Upstream: Sendable {
        let feeds = Mutex<[AsyncThrowingStream<String, any Error>.Continuation]>([])

        func open() -> AsyncThrowingStream<String, any Error> {
            let (stream, continuation) = AsyncThrowingStream.makeStream(of: String.self)
            feeds.withLock { $0.append(continuation) }
            return stream
        }

        var opened: Int { feeds.withLock { $0.count } }
        func send(_ line: String) { feeds.withLock { $0.last?.yield(line) } }
        func fail() { feeds.withLock { $0.last?.finish(throwing: CancellationError()) } }
    }

    @Test func subscribersShareOneUpstreamUntilTheLastLeaves() async throws {
        let upstream = Upstream()
        let broadcast = EventBroadcast { upstream.open() }
        let first = await broadcast.subscribe()
        let second = await broadcast.subscribe()
        var firstLines = first.lines.makeAsyncIterator()
        var secondLines = second.lines.makeAsyncIterator()
        // The upstream task starts on its own: feed it once it is open.
        while upstream.opened == 0 { await Task.yield() }
        upstream.send("a")
        #expect(await firstLines.next() == "a")
        #expect(await secondLines.next() == "a")
        #expect(await broadcast.upstreamsStarted == 1)

        await broadcast.unsubscribe(first.id)
        upstream.send("b")
        #expect(await secondLines.next() == "b")
        #expect(await firstLines.next() == nil)
        await broadcast.unsubscribe(second.id)
        #expect(await broadcast.subscriberCount == 0)

        // Subscribers after that start a new upstream.
        let third = await broadcast.subscribe()
        #expect(await broadcast.upstreamsStarted == 2)
        await broadcast.unsubscribe(third.id)
    }

    @Test func theUpstreamsEndEndsEverySubscriber() async throws {
        let upstream = Upstream()
        let broadcast = EventBroadcast { upstream.open() }
        let one = await broadcast.subscribe()
        let two = await broadcast.subscribe()
        while upstream.opened == 0 { await Task.yield() }
        upstream.fail()
        var oneLines = one.lines.makeAsyncIterator()
        var twoLines = two.lines.makeAsyncIterator()
        #expect(await oneLines.next() == nil)
        #expect(await twoLines.next() == nil)
        #expect(await broadcast.subscriberCount == 0)
        let again = await broadcast.subscribe()
        #expect(await broadcast.upstreamsStarted == 2)
        await broadcast.unsubscribe(again.id)
    }
}
