import Testing

@testable import Celeriac

/// The claim policy, on a clock the test moves by hand.
@Suite struct ClaimPolicyTests {
    let start = ContinuousClock.now

    @Test func claimsForEveryFreeSlotUpToTheBatchAtStart() {
        let policy = ClaimPolicy(concurrency: 128, claimBatch: 100, pollInterval: .seconds(1), now: start)
        #expect(policy.threshold == 32)
        #expect(policy.claimSize(free: 128, running: 0, now: start) == 100)
        #expect(policy.claimSize(free: 3, running: 0, now: start) == 3)
        #expect(policy.claimSize(free: 0, running: 128, now: start) == nil)
    }

    @Test func underLoadSmallClaimsWaitForABatchOrTheClaimDelay() {
        var policy = ClaimPolicy(concurrency: 128, claimBatch: 100, pollInterval: .seconds(1), now: start)
        do {
            let waiting = policy.claimed(asked: 100, got: 100, now: start)
            #expect(waiting == false)
        }
        // Two slots free while 126 run: too small a claim, unless 20 ms pass.
        #expect(policy.claimSize(free: 2, running: 126, now: start + .milliseconds(5)) == nil)
        #expect(policy.deadline(free: 2) == start + ClaimPolicy.claimDelay)
        #expect(policy.claimSize(free: 2, running: 126, now: start + .milliseconds(20)) == 2)
        // A quarter of the slots free: claim at once.
        #expect(policy.claimSize(free: 32, running: 96, now: start + .milliseconds(1)) == 32)
        // Nothing runs: claim at once.
        #expect(policy.claimSize(free: 1, running: 0, now: start + .milliseconds(1)) == 1)
    }

    @Test func aShortClaimThatMayHaveMoreClaimsAgainRatherThanWait() {
        var policy = ClaimPolicy(concurrency: 128, claimBatch: 100, pollInterval: .seconds(1), now: start)
        let waiting = policy.claimed(asked: 100, got: 40, more: true, now: start)
        #expect(!waiting)
        #expect(!policy.listening)
        #expect(policy.claimSize(free: 60, running: 68, now: start) == 60)
    }

    @Test func aShortClaimWaitsForANotifyThePollOrARecheck() {
        var policy = ClaimPolicy(concurrency: 4, claimBatch: 100, pollInterval: .seconds(1), now: start)
        do {
            let waiting = policy.claimed(asked: 4, got: 1, now: start)
            #expect(waiting)
        }
        #expect(policy.listening)
        #expect(policy.claimSize(free: 3, running: 1, now: start) == nil)
        policy.scheduleNextPoll(dueIn: nil, now: start)
        // The first recheck comes 20 ms after turning to waiting, the second at 250 ms.
        #expect(policy.deadline(free: 3) == start + .milliseconds(20))
        policy.woke(notified: false, now: start + .milliseconds(10))
        #expect(!policy.needClaim)
        policy.woke(notified: false, now: start + .milliseconds(20))
        #expect(policy.needClaim)
        do {
            let waiting = policy.claimed(asked: 3, got: 0, now: start + .milliseconds(21))
            #expect(waiting)
        }
        // Still listening: the schedule does not start over.
        #expect(policy.deadline(free: 3) == start + .milliseconds(250))
        policy.woke(notified: false, now: start + .milliseconds(250))
        #expect(policy.needClaim)
        do {
            let waiting = policy.claimed(asked: 3, got: 0, now: start + .milliseconds(251))
            #expect(waiting)
        }
        #expect(policy.deadline(free: 3) == start + .seconds(1))
        // A NOTIFY for one of the worker's queues makes a claim due at once.
        policy.woke(notified: true, now: start + .milliseconds(300))
        #expect(policy.claimSize(free: 3, running: 1, now: start + .milliseconds(300)) == 3)
    }

    @Test func aFullClaimStopsListeningAndTheNextShortOneRestartsTheRechecks() {
        var policy = ClaimPolicy(concurrency: 4, claimBatch: 100, pollInterval: .seconds(1), now: start)
        _ = policy.claimed(asked: 4, got: 0, now: start)
        do {
            let waiting = policy.claimed(asked: 4, got: 4, now: start + .milliseconds(500))
            #expect(waiting == false)
        }
        #expect(!policy.listening)
        do {
            let waiting = policy.claimed(asked: 4, got: 2, now: start + .milliseconds(600))
            #expect(waiting)
        }
        #expect(policy.deadline(free: 2) == start + .milliseconds(620))
    }

    @Test func theNextScheduledTaskBringsThePollForward() {
        var policy = ClaimPolicy(concurrency: 4, claimBatch: 100, pollInterval: .seconds(1), now: start)
        policy.scheduleNextPoll(dueIn: 0.3, now: start)
        #expect(policy.nextPoll == start + .milliseconds(300))
        policy.scheduleNextPoll(dueIn: 5, now: start)
        #expect(policy.nextPoll == start + .seconds(1))
        // Due already but not claimable (locked by another claim): look again soon.
        policy.scheduleNextPoll(dueIn: -2, now: start)
        #expect(policy.nextPoll == start + .milliseconds(50))
        policy.woke(notified: false, now: start + .milliseconds(50))
        #expect(policy.needClaim)
        #expect(policy.nextPoll == start + .milliseconds(1050))
    }

    @Test func aNewSessionClaimsAtOnce() {
        var policy = ClaimPolicy(concurrency: 4, claimBatch: 100, pollInterval: .seconds(1), now: start)
        _ = policy.claimed(asked: 4, got: 0, now: start)
        policy.reconnected()
        #expect(policy.needClaim && !policy.listening)
        #expect(policy.claimSize(free: 4, running: 0, now: start) == 4)
    }
}
