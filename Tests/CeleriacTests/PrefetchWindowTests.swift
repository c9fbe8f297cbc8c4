import Foundation
import Testing

@testable import Celeriac

/// The prefetch window follows how fast tasks finish here, with no clock but the one passed in.
@Suite struct PrefetchWindowTests {
    /// Feeds `count` outcomes every 10 ms for `duration`; returns the time reached.
    static func feed(
        _ window: inout PrefetchWindow, perTenMilliseconds count: Int, for duration: Duration, from start: ContinuousClock.Instant
    ) -> ContinuousClock.Instant {
        var now = start
        while now - start < duration {
            now += .milliseconds(10)
            window.finished(count, now: now)
        }
        return now
    }

    @Test func nothingFinishedYetKeepsNoTaskWaiting() {
        let window = PrefetchWindow(now: .now)
        #expect(window.rate == 0)
        #expect(window.size(concurrency: 200, claimBatch: 100) == 0)
    }

    @Test func shortTasksKeepWhatFinishesInThreeRoundTrips() {
        let start = ContinuousClock.now
        var window = PrefetchWindow(now: start)
        // 10 ms tasks at c=200: 20,000 a second.
        _ = Self.feed(&window, perTenMilliseconds: 200, for: .seconds(1), from: start)
        #expect(abs(window.rate - 20_000) < 200)
        // 20,000/s x 3 x 1 ms = 60 (the default round trip of 2 ms halves towards 1 ms each claim).
        for _ in 0..<20 { window.claimed(took: .milliseconds(1)) }
        #expect((57...60).contains(window.size(concurrency: 200, claimBatch: 100)))
        // At most half the slots, at most a claim.
        #expect(window.size(concurrency: 64, claimBatch: 100) == 32)
        #expect(window.size(concurrency: 200, claimBatch: 40) == 40)
    }

    @Test func tasksThatTakeSecondsKeepNoneWaiting() {
        let start = ContinuousClock.now
        var window = PrefetchWindow(now: start)
        // One-second tasks at c=200: 200 a second, 2 every 10 ms.
        _ = Self.feed(&window, perTenMilliseconds: 2, for: .seconds(1), from: start)
        #expect(abs(window.rate - 200) < 5)
        window.claimed(took: .milliseconds(2))
        #expect(window.size(concurrency: 200, claimBatch: 100) == 1)
        // One-minute tasks at c=16: none.
        var slow = PrefetchWindow(now: start)
        slow.finished(16, now: start + .seconds(60))
        #expect(slow.size(concurrency: 16, claimBatch: 100) == 0)
    }

    @Test func theWindowClosesWhenTasksStopFinishing() {
        let start = ContinuousClock.now
        var window = PrefetchWindow(now: start)
        let busy = Self.feed(&window, perTenMilliseconds: 200, for: .seconds(1), from: start)
        #expect(window.size(concurrency: 200, claimBatch: 100) > 0)
        // A quiet second (the queue drained): the next outcome finds the rate near nothing.
        window.finished(1, now: busy + .seconds(1))
        #expect(window.rate < 2)
        #expect(window.size(concurrency: 200, claimBatch: 100) == 0)
    }
}
