import Foundation

/// Keeps this worker's leases: when to send a heartbeat, whether the leases have lapsed, and
/// which running tasks were taken over. These decisions are pure and driven by the time passed
/// in; ``renew(on:sql:owner:held:sendEvents:slots:observers:now:)`` and ``stopAll(_:observers:owner:)``
/// (LeaseKeeper+Renewal.swift) run the heartbeat statement and stop the tasks whose lease was lost.
struct LeaseKeeper: Sendable {
    typealias Instant = ContinuousClock.Instant

    /// How often leases are renewed.
    let heartbeatInterval: Duration
    /// How long a lease lasts without renewal (database clock).
    let lease: Duration
    /// The last moment the database confirmed the leases.
    private(set) var lastRenewal: Instant
    /// When the next heartbeat is due.
    private(set) var nextHeartbeat: Instant

    init(heartbeatInterval: Duration, lease: Duration, now: Instant) {
        self.heartbeatInterval = heartbeatInterval
        self.lease = lease
        lastRenewal = now
        nextHeartbeat = now + heartbeatInterval
    }

    /// No renewal for a whole lease: the process was stopped, starved or cut off, and its
    /// tasks may already run elsewhere. Stop them and give back what was not rescued yet.
    func lapsed(now: Instant) -> Bool {
        now - lastRenewal > lease
    }

    /// Whether to send a heartbeat now.
    func heartbeatDue(now: Instant) -> Bool {
        now >= nextHeartbeat || lapsed(now: now)
    }

    /// The database renewed the leases at `now`.
    mutating func renewed(now: Instant) {
        lastRenewal = now
        nextHeartbeat = now + heartbeatInterval
    }

    /// Tasks that were running when the heartbeat was sent but whose lease it did not renew:
    /// a rescue took them over while this worker was slow, so they run elsewhere now.
    static func lost(runningBefore: Set<UUID>, renewed: Set<UUID>) -> Set<UUID> {
        runningBefore.subtracting(renewed)
    }
}
