import Foundation
import Testing

@testable import Celeriac

/// When claims start after the last key claimed, on a clock the test moves by hand.
@Suite struct ClaimHintsTests {
    let start = ContinuousClock.now
    let key = ClaimHints.Key(priority: 0, runAt: "2026-11-30 09:00:00.123456+00", id: UUID())

    @Test func fastClaimsFromTheHeadKeepKeysOff() {
        var hints = ClaimHints()
        hints.claimed(used: [:], took: .milliseconds(2), last: ["celery": key], now: start)
        #expect(hints.keys == ["celery": key])
        #expect(hints.keysForClaim(now: start).isEmpty)
        #expect(hints.sweepDue == nil)
    }

    @Test func aSlowClaimFromTheHeadTurnsKeysOnUntilASweepFindsTheHeadFastAgain() {
        var hints = ClaimHints()
        // 45 ms: keys on, and the first sweep a hundred times that later.
        hints.claimed(used: [:], took: .milliseconds(45), last: ["celery": key], now: start)
        #expect(hints.keysForClaim(now: start + .milliseconds(10)) == ["celery": key])
        #expect(hints.sweepDue == start + .milliseconds(4_500))

        // A claim after the key moves the key on and leaves the sweep where it was.
        let next = ClaimHints.Key(priority: 0, runAt: "2026-11-30 09:00:01+00", id: UUID())
        hints.claimed(used: ["celery": key], took: .milliseconds(1), last: ["celery": next], now: start + .milliseconds(20))
        #expect(hints.keysForClaim(now: start + .milliseconds(30)) == ["celery": next])
        #expect(hints.sweepDue == start + .milliseconds(4_500))

        // The sweep is due: the next claim reads from the head, and asks for a few tasks only.
        // Still slow, and slower than a hundredth of a second: keys stay on, the next sweep
        // comes a hundred times that later.
        let sweep = start + .milliseconds(4_500)
        #expect(hints.keysForClaim(now: sweep).isEmpty)
        #expect(hints.sweeping(now: sweep))
        #expect(hints.claimSize(128, now: sweep) == ClaimHints.sweepBatch)
        #expect(hints.claimSize(128, now: sweep - .milliseconds(1)) == 128)
        hints.claimed(used: [:], took: .milliseconds(60), last: [:], now: sweep)
        #expect(hints.keysForClaim(now: sweep + .milliseconds(1)) == ["celery": next])
        #expect(hints.sweepDue == sweep + .milliseconds(6_000))

        // However slow, a sweep comes within ten seconds.
        let slow = sweep + .milliseconds(6_000)
        hints.claimed(used: [:], took: .seconds(2), last: [:], now: slow)
        #expect(hints.sweepDue == slow + ClaimHints.longestSweepInterval)

        // Fast again (a vacuum got through): keys off, no sweeps.
        let later = slow + ClaimHints.longestSweepInterval
        hints.claimed(used: [:], took: .milliseconds(3), last: [:], now: later)
        #expect(hints.keysForClaim(now: later).isEmpty)
        #expect(hints.sweepDue == nil)
        #expect(!hints.sweeping(now: later))
        #expect(hints.claimSize(128, now: later) == 128)
    }

    @Test func theStatementsGetOneEntryPerQueueInOrder() {
        let other = ClaimHints.Key(priority: 7, runAt: "2026-11-30 09:00:02+00", id: UUID())
        let columns = ClaimHints.columns(["emails": other, "celery": key])
        #expect(columns.queues == ["celery", "emails"])
        #expect(columns.priorities == [0, 7])
        #expect(columns.runAts == [key.runAt, other.runAt])
        #expect(columns.ids == [key.id, other.id])
    }
}
