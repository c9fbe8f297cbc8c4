import Foundation
import Testing

@testable import Celeriac

/// The lease keeper, on a clock the test moves by hand.
@Suite struct LeaseKeeperTests {
    let start = ContinuousClock.now

    @Test func heartbeatsFollowTheIntervalFromTheLastRenewal() {
        var keeper = LeaseKeeper(heartbeatInterval: .seconds(5), lease: .seconds(20), now: start)
        #expect(!keeper.heartbeatDue(now: start + .seconds(4)))
        #expect(keeper.heartbeatDue(now: start + .seconds(5)))
        keeper.renewed(now: start + .seconds(6))
        #expect(keeper.nextHeartbeat == start + .seconds(11))
        #expect(!keeper.heartbeatDue(now: start + .seconds(10)))
    }

    @Test func leasesLapseAfterAWholeLeaseWithoutRenewal() {
        var keeper = LeaseKeeper(heartbeatInterval: .seconds(5), lease: .seconds(20), now: start)
        #expect(!keeper.lapsed(now: start + .seconds(20)))
        #expect(keeper.lapsed(now: start + .seconds(21)))
        // A lapsed lease makes a heartbeat due whatever the schedule says.
        #expect(keeper.heartbeatDue(now: start + .seconds(21)))
        keeper.renewed(now: start + .seconds(21))
        #expect(!keeper.lapsed(now: start + .seconds(40)))
    }

    @Test func tasksNotRenewedWereTakenOver() {
        let (a, b, c) = (UUID(), UUID(), UUID())
        #expect(LeaseKeeper.lost(runningBefore: [a, b], renewed: [a, c]) == [b])
        #expect(LeaseKeeper.lost(runningBefore: [a], renewed: [a]).isEmpty)
        #expect(LeaseKeeper.lost(runningBefore: [], renewed: [a]).isEmpty)
    }
}
