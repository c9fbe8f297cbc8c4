import Foundation

/// What the scheduler does with ticks it missed (it was stopped, or late) when it looks again.
///
/// A tick is *missed* when it is more than a grace period old by the time it is looked at; a
/// younger tick is on time and is due under every policy.
public enum MisfirePolicy: String, Sendable, Hashable, Codable, CaseIterable {
    /// Run nothing for missed ticks; wait for the next one.
    case skip
    /// Run once for any number of missed ticks: the most recent one.
    case once
    /// Run every missed tick, up to a limit (the most recent ones are kept).
    case all

    /// The ticks to enqueue now, oldest first, and the next tick after `now`.
    ///
    /// Ticks no older than `grace` are on time and always due, whatever the policy (a
    /// scheduler that wakes a little late for two quick ticks runs both). Older ticks are
    /// missed and handled by the policy.
    ///
    /// - Parameters:
    ///   - schedule: the schedule.
    ///   - lastTick: the last tick already enqueued, or nil for a new schedule: then nothing is
    ///     due and `next` is the first tick after `now`.
    ///   - now: the current time. Ticks in `(lastTick, now]` are candidates.
    ///   - maxCatchUp: how many ticks at most are due; older ones are dropped, so recording
    ///     the last due tick as `lastTick` gives them up. At least 1 is used.
    ///   - grace: how old a tick may be and still be on time rather than missed.
    /// - Returns: `due`: the on-time ticks, plus for ``once`` the most recent missed tick when
    ///   no tick is on time, and for ``all`` every missed tick (up to `maxCatchUp` in all).
    ///   `next`: the first tick after `now` (after `lastTick` if that is later, so a clock
    ///   that went back does not repeat ticks), or nil if the schedule never fires again.
    public func dueTicks(
        for schedule: Schedule,
        lastTick: Date?,
        now: Date,
        maxCatchUp: Int = 100,
        grace: Duration = .seconds(60)
    ) -> (due: [Date], next: Date?) {
        guard let lastTick else { return ([], schedule.nextFire(after: now)) }
        let next = schedule.nextFire(after: max(now, lastTick))
        // The latest ticks at or before `now`, newest first, found backwards so that a long
        // outage costs no more than the ticks returned.
        var recent: [Date] = []
        var cursor = Date(timeIntervalSinceReferenceDate: now.timeIntervalSinceReferenceDate.nextUp)
        while recent.count < max(1, maxCatchUp), let tick = schedule.previousFire(before: cursor), tick > lastTick {
            recent.append(tick)
            cursor = tick
        }
        let onTime = recent.filter { now.timeIntervalSince($0) <= grace.seconds }
        let missed = recent.filter { now.timeIntervalSince($0) > grace.seconds }
        let due: [Date]
        switch self {
        case .skip: due = onTime
        case .once: due = onTime.isEmpty ? Array(missed.prefix(1)) : onTime
        case .all: due = recent
        }
        return (due.reversed(), next)
    }
}
