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
    /// - Parameters:
    ///   - schedule: the schedule.
    ///   - lastTick: the last tick already enqueued, or nil for a new schedule: then nothing is
    ///     due and `next` is the first tick after `now`.
    ///   - now: the current time. Ticks in `(lastTick, now]` are candidates.
    ///   - maxCatchUp: for ``all``, how many ticks at most are due; older ones are dropped, so
    ///     recording the last due tick as `lastTick` gives them up. At least 1 is used.
    ///   - grace: how old a tick may be and still be on time rather than missed (the wake-up
    ///     of the scheduler for a tick is a little late). Pass less for schedules that tick more
    ///     often than once a minute if ``skip`` should drop late ticks.
    /// - Returns: `due`: for ``skip``, the most recent tick if it is on time, else nothing;
    ///   for ``once``, the most recent tick; for ``all``, the last `maxCatchUp` ticks.
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
        let wanted = self == .all ? max(1, maxCatchUp) : 1
        // The latest ticks at or before `now`, newest first, found backwards so that a long
        // outage costs no more than the ticks returned.
        var recent: [Date] = []
        var cursor = Date(timeIntervalSinceReferenceDate: now.timeIntervalSinceReferenceDate.nextUp)
        while recent.count < wanted, let tick = schedule.previousFire(before: cursor), tick > lastTick {
            recent.append(tick)
            cursor = tick
        }
        if self == .skip, let latest = recent.first, now.timeIntervalSince(latest) > grace.seconds {
            return ([], next)
        }
        return (recent.reversed(), next)
    }
}
