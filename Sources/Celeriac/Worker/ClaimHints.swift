import Foundation

/// Where a claim starts reading each queue: from its head, or after the last key this worker
/// claimed there. A pure part of the consumer, driven by the time passed in.
///
/// Each claim and each completion leaves the task's old entry in `tasks_ready_idx` until a
/// vacuum removes it. While a transaction held open elsewhere keeps vacuum from removing
/// anything, these entries pile up at the head of every queue's range, and a claim from the
/// head steps over all of them: at 5,000 tasks a second, 300,000 after a minute, and claims
/// slow down until the queue backs up. A claim that starts after the worker's last key skips
/// them with one descent of the index.
///
/// Rows can appear before that key: a producer transaction that commits late (its `run_at` is
/// when it began), a higher priority, another worker's claim rolled back, a task given back.
/// So keys are used only while claims from the head are slow (``slowClaim``), and even then a
/// claim from the head, a sweep, comes every ``sweepInterval``, or every ``sweepShare`` times
/// what the last sweep took when that is longer (at most ``longestSweepInterval``): such a row
/// waits at most that long, and sweeps take at most a hundredth of the worker's time (a
/// twentieth let 60 ms sweeps, with 500,000 dead rows held back by an open transaction, push
/// pickup p99 at 5,000 tasks/s to 27 to 37 ms). A sweep
/// asks for at most ``sweepBatch`` tasks: those it takes wait for the whole slow read.
struct ClaimHints: Sendable {
    /// A row's place in claim order: `(-priority, run_at, id)` ascending (0023).
    struct Key: Sendable, Equatable, Codable {
        var priority: Int
        /// `run_at` as PostgreSQL prints it, so it goes back exactly.
        var runAt: String
        var id: UUID
    }

    typealias Instant = ContinuousClock.Instant

    /// A claim from the head slower than this turns keys on.
    static let slowClaim: Duration = .milliseconds(10)
    /// While keys are on, a claim from the head comes this often, unless it is slow.
    static let sweepInterval: Duration = .seconds(1)
    /// The interval is at least this many times the last sweep's round trip.
    static let sweepShare = 100
    /// The interval is never longer than this.
    static let longestSweepInterval: Duration = .seconds(10)
    /// The most tasks a sweep claims.
    static let sweepBatch = 4

    /// The last key claimed in each queue.
    private(set) var keys: [String: Key] = [:]
    /// Until when claims start after the keys; nil while claims from the head are fast.
    private(set) var hintedUntil: Instant?

    /// The keys the next claim starts after: none while claims from the head are fast, or
    /// when a sweep is due.
    func keysForClaim(now: Instant) -> [String: Key] {
        guard let hintedUntil, now < hintedUntil else { return [:] }
        return keys
    }

    /// Whether the next claim is a sweep: keys are on and the sweep is due.
    func sweeping(now: Instant) -> Bool {
        guard let hintedUntil else { return false }
        return now >= hintedUntil
    }

    /// How many tasks the next claim asks for, of the `wanted`.
    func claimSize(_ wanted: Int, now: Instant) -> Int {
        sweeping(now: now) ? min(wanted, Self.sweepBatch) : wanted
    }

    /// Records a claim: the keys it started after (`used`), how long its round trip took, and
    /// the last key it claimed in each queue that gave rows. A claim from the head decides
    /// whether keys are on, and until when.
    mutating func claimed(used: [String: Key], took duration: Duration, last: [String: Key], now: Instant) {
        for (queue, key) in last { keys[queue] = key }
        guard used.isEmpty else { return }
        guard duration >= Self.slowClaim else {
            hintedUntil = nil
            return
        }
        hintedUntil = now + min(max(Self.sweepInterval, duration * Self.sweepShare), Self.longestSweepInterval)
    }

    /// When a sweep is due, while keys are on: the worker claims then even if nothing woke it.
    var sweepDue: Instant? { hintedUntil }

    /// The arrays the `claim` and `next_due` statements take.
    static func columns(_ keys: [String: Key]) -> (queues: [String], priorities: [Int], runAts: [String], ids: [UUID]) {
        let sorted = keys.sorted { $0.key < $1.key }
        return (sorted.map(\.key), sorted.map(\.value.priority), sorted.map(\.value.runAt), sorted.map(\.value.id))
    }
}
