import Foundation

/// When a periodic task runs: at the wall-clock times a cron expression matches in a time
/// zone, or every fixed interval from an anchor instant.
///
/// ```swift
/// let reports = try Schedule.crontab("0 7 * * mon-fri", timeZone: "Europe/Berlin")
/// let heartbeat = try Schedule.every(.seconds(30), anchor: Date(timeIntervalSince1970: 0))
/// reports.nextFire(after: Date())    // the next weekday 07:00 in Berlin
/// heartbeat.nextFire(after: Date())  // the next whole half minute since 1970
/// ```
public enum Schedule: Sendable, Hashable, CustomStringConvertible {
    /// Fires at each wall-clock minute `expression` matches, as read on clocks in `timeZone`;
    /// see ``nextFire(after:)`` for daylight-saving transitions.
    case cron(CronExpression, timeZone: TimeZone)
    /// Fires at `anchor + k × interval` for every integer `k` (also before the anchor), so every
    /// process computes the same ticks whenever it starts. The interval must be positive: a
    /// zero or negative one never fires (``every(_:anchor:)`` refuses it).
    case interval(Duration, anchor: Date)

    /// A cron schedule from text: `expression` as ``CronExpression`` parses it, in the IANA
    /// zone `timeZone` (checked by ``timeZone(named:)``).
    ///
    /// ```swift
    /// let nightly = try Schedule.crontab("30 2 * * *", timeZone: "America/New_York")
    /// ```
    public static func crontab(_ expression: String, timeZone: String = "UTC") throws(CronError) -> Schedule {
        .cron(try CronExpression(expression), timeZone: try Self.timeZone(named: timeZone))
    }

    /// An interval schedule: ticks at `anchor`, `anchor + interval`, `anchor + 2 × interval`, …
    /// (and the same steps before `anchor`). Throws a ``CronError`` with field `"interval"`
    /// unless `interval` is positive.
    public static func every(_ interval: Duration, anchor: Date) throws(CronError) -> Schedule {
        guard interval > .zero else {
            throw CronError(field: "interval", message: "invalid interval \(interval): it must be positive")
        }
        return .interval(interval, anchor: anchor)
    }

    /// The time zone with the IANA name `name` (e.g. `"Europe/Berlin"`, `"America/New_York"`,
    /// `"UTC"`). Throws a ``CronError`` with field `"time zone"` for a name Foundation does not
    /// know, such as `"Mars/Olympus"`.
    public static func timeZone(named name: String) throws(CronError) -> TimeZone {
        guard !name.isEmpty, let zone = TimeZone(identifier: name) else {
            throw CronError(
                field: "time zone",
                message: "unknown time zone \"\(name)\": expected an IANA name such as \"Europe/Berlin\" or \"UTC\""
            )
        }
        return zone
    }

    /// The first fire time strictly after `instant`, or nil if there is none (a cron expression
    /// that can never match, such as `0 0 30 2 *`, or a non-positive interval).
    ///
    /// A cron schedule fires at minute boundaries whose wall-clock time in its zone matches the
    /// expression. Daylight-saving transitions follow one rule: **each matching wall-clock
    /// minute fires exactly once, at the first instant the zone's clocks reach it.** So:
    ///
    /// - A time the clocks skip (spring forward) fires once, at the first instant after the
    ///   jump: `30 2 * * *` in America/New_York on 2026-03-08, when 02:00 EST becomes 03:00 EDT,
    ///   fires at 03:00 EDT (07:00 UTC). Several skipped times, and a matching time right
    ///   after the jump, all fall on that one instant and fire once there: `*/30 * * * *` fires
    ///   at 01:30, 03:00, 03:30 — 46 times that day — and `30 * * * *` also fires at 03:00.
    /// - A time the clocks show twice (fall back) fires at its first occurrence only:
    ///   `30 1 * * *` in America/New_York on 2026-11-01 fires at 01:30 EDT (05:30 UTC), not
    ///   again at 01:30 EST; `0 * * * *` fires at 01:00 EDT and then 02:00 EST, skipping the
    ///   repeated 01:00; `*/30 * * * *` fires 48 times on that 25-hour day. Likewise
    ///   `* * * * *` pauses for the hour between 01:00 EST and 02:00 EST: those minutes
    ///   already fired an hour earlier.
    ///
    /// The search skips whole months, days and hours that do not match, and an expression
    /// that can match is found within at most 8 years (29 February from 2096 to 2104).
    public func nextFire(after instant: Date) -> Date? {
        switch self {
        case .cron(let expression, let timeZone):
            return expression.nextFire(after: instant, in: timeZone)
        case .interval(let interval, let anchor):
            guard let (origin, step) = Self.steps(interval, anchor) else { return nil }
            let target = instant.timeIntervalSinceReferenceDate
            var index = ((target - origin) / step).rounded(.down) + 1
            guard index.isFinite else { return nil }
            // Correct a rounding error of the division either way.
            if origin + (index - 1) * step > target {
                index -= 1
            } else if origin + index * step <= target {
                index += 1
            }
            let fire = origin + index * step
            return fire > target ? Date(timeIntervalSinceReferenceDate: fire) : nil
        }
    }

    /// The last fire time strictly before `instant`, or nil if there is none (within 8 years
    /// back for a cron schedule), under the same rules as ``nextFire(after:)``.
    public func previousFire(before instant: Date) -> Date? {
        switch self {
        case .cron(let expression, let timeZone):
            return expression.previousFire(before: instant, in: timeZone)
        case .interval(let interval, let anchor):
            guard let (origin, step) = Self.steps(interval, anchor) else { return nil }
            let target = instant.timeIntervalSinceReferenceDate
            var index = ((target - origin) / step).rounded(.up) - 1
            guard index.isFinite else { return nil }
            if origin + (index + 1) * step < target {
                index += 1
            } else if origin + index * step >= target {
                index -= 1
            }
            let fire = origin + index * step
            return fire < target ? Date(timeIntervalSinceReferenceDate: fire) : nil
        }
    }

    /// Every fire time in `(start, end]`, in order, at most `limit` of them (the earliest);
    /// empty when `limit` is not positive or `end` is not after `start`.
    public func ticks(after start: Date, through end: Date, limit: Int) -> [Date] {
        var result: [Date] = []
        var cursor = start
        while result.count < limit, let next = nextFire(after: cursor), next <= end {
            result.append(next)
            cursor = next
        }
        return result
    }

    /// `*/15 * * * * (Europe/Berlin)` or `every 30.0 seconds from 2026-01-01T00:00:00Z`.
    public var description: String {
        switch self {
        case .cron(let expression, let timeZone):
            return "\(expression) (\(timeZone.identifier))"
        case .interval(let interval, let anchor):
            return "every \(interval) from \(anchor.formatted(.iso8601))"
        }
    }

    /// An interval's anchor and length in seconds, or nil when it cannot tick.
    private static func steps(_ interval: Duration, _ anchor: Date) -> (origin: Double, step: Double)? {
        let step = interval.seconds
        guard step > 0, step.isFinite else { return nil }
        return (anchor.timeIntervalSinceReferenceDate, step)
    }
}
