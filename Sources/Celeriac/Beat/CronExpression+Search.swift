import Foundation

/// Finding fire times: the search runs over wall-clock minutes (``LocalDateTime``), skipping a
/// whole month, day or hour at a time when that field does not match, and the time zone turns
/// the matching wall-clock minute into an instant.
extension CronExpression {
    /// How many calendar years a search may cover. The longest wait of an expression that can
    /// fire at all is 8 years (29 February across a century that is not a leap year, 2096 to
    /// 2104); expressions that can never fire are caught by ``canEverFire`` before searching.
    static let searchYears = 8

    /// False when no date can match, e.g. `0 0 30 2 *` (30 February) or `0 0 31 4,6 *`.
    var canEverFire: Bool {
        // Either rule: every month has every weekday. Both rule with a bare `*` day of month:
        // days 1-28 of any month cover every weekday.
        if matchesEitherDay || dayOfMonth.isWildcard { return true }
        // Day of week is `*`: some allowed day of month must exist in some allowed month
        // (February counting leap years).
        return month.values.contains { month in
            dayOfMonth.next(atOrAfter: 1).map { $0 <= LocalDateTime.daysInMonth(year: 2000, month: month) } ?? false
        }
    }

    /// Whether the day matches, under the Vixie either/both rule.
    func matchesDay(year: Int, month: Int, day: Int) -> Bool {
        let weekday = LocalDateTime.weekday(year: year, month: month, day: day)
        if matchesEitherDay {
            return dayOfMonth.contains(day) || dayOfWeek.contains(weekday)
        }
        return dayOfMonth.contains(day) && dayOfWeek.contains(weekday)
    }

    /// The first matching wall-clock minute at or after `start` (whose fields may overflow by
    /// one: minute 60, hour 24, day past the month's end, month 13), up to the end of
    /// `lastYear`.
    func firstMatch(atOrAfter start: LocalDateTime, lastYear: Int) -> LocalDateTime? {
        var time = start
        while time.year <= lastYear {
            guard let month = month.next(atOrAfter: time.month) else {
                time = LocalDateTime(year: time.year + 1, month: 1, day: 1, hour: 0, minute: 0)
                continue
            }
            if month != time.month { time = LocalDateTime(year: time.year, month: month, day: 1, hour: 0, minute: 0) }

            let days = LocalDateTime.daysInMonth(year: time.year, month: time.month)
            guard time.day <= days,
                let day = (time.day...days).first(where: { matchesDay(year: time.year, month: time.month, day: $0) })
            else {
                time = LocalDateTime(year: time.year, month: time.month + 1, day: 1, hour: 0, minute: 0)
                continue
            }
            if day != time.day { (time.day, time.hour, time.minute) = (day, 0, 0) }

            guard let hour = hour.next(atOrAfter: time.hour) else {
                (time.day, time.hour, time.minute) = (time.day + 1, 0, 0)
                continue
            }
            if hour != time.hour { (time.hour, time.minute) = (hour, 0) }

            guard let minute = minute.next(atOrAfter: time.minute) else {
                (time.hour, time.minute) = (time.hour + 1, 0)
                continue
            }
            time.minute = minute
            return time
        }
        return nil
    }

    /// The last matching wall-clock minute at or before `start` (whose fields may underflow by
    /// one: minute -1, hour -1, day 0, month 0), back to the start of `firstYear`.
    func lastMatch(atOrBefore start: LocalDateTime, firstYear: Int) -> LocalDateTime? {
        var time = start
        while time.year >= firstYear {
            guard let month = month.previous(atOrBefore: time.month) else {
                time = LocalDateTime(year: time.year - 1, month: 12, day: 31, hour: 23, minute: 59)
                continue
            }
            let days = LocalDateTime.daysInMonth(year: time.year, month: month)
            if month != time.month || time.day > days {
                time = LocalDateTime(year: time.year, month: month, day: days, hour: 23, minute: 59)
            }

            guard time.day >= 1,
                let day = stride(from: time.day, through: 1, by: -1).first(where: {
                    matchesDay(year: time.year, month: time.month, day: $0)
                })
            else {
                time = LocalDateTime(year: time.year, month: time.month - 1, day: 31, hour: 23, minute: 59)
                continue
            }
            if day != time.day { (time.day, time.hour, time.minute) = (day, 23, 59) }

            guard let hour = hour.previous(atOrBefore: time.hour) else {
                (time.day, time.hour, time.minute) = (time.day - 1, 23, 59)
                continue
            }
            if hour != time.hour { (time.hour, time.minute) = (hour, 59) }

            guard let minute = minute.previous(atOrBefore: time.minute) else {
                (time.hour, time.minute) = (time.hour - 1, 59)
                continue
            }
            time.minute = minute
            return time
        }
        return nil
    }

    /// The first fire time strictly after `instant` in `timeZone`; see ``Schedule/nextFire(after:)``
    /// for the rule at daylight-saving transitions.
    func nextFire(after instant: Date, in timeZone: TimeZone) -> Date? {
        guard canEverFire, var start = timeZone.wallClock(at: instant) else { return nil }
        let lastYear = start.year + Self.searchYears
        start.minute += 1
        // Normally the first match is the answer. Only while the clocks repeat an hour can a
        // wall-clock minute after `instant`'s fire before it (at its first occurrence); those
        // already fired, so look further. That loop ends with the repeated hour.
        while let match = firstMatch(atOrAfter: start, lastYear: lastYear) {
            let fire = timeZone.firstInstant(of: match)
            if fire > instant { return fire }
            start = match
            start.minute += 1
        }
        return nil
    }

    /// The last fire time strictly before `instant` in `timeZone`, under the same rule.
    func previousFire(before instant: Date, in timeZone: TimeZone) -> Date? {
        guard canEverFire, var start = timeZone.wallClock(at: instant) else { return nil }
        let firstYear = start.year - Self.searchYears
        // The last match at or before `instant`'s wall-clock minute fires before it, unless it
        // fires exactly at `instant` (or is skipped into a gap ending there): then step back.
        var found: Date?
        while let match = lastMatch(atOrBefore: start, firstYear: firstYear) {
            let fire = timeZone.firstInstant(of: match)
            if fire < instant {
                found = fire
                break
            }
            start = match
            start.minute -= 1
        }
        // While the clocks repeat an hour, later wall-clock minutes may already have fired
        // (at their first occurrence): walk forward over them.
        guard var latest = found else { return nil }
        while let next = nextFire(after: latest, in: timeZone), next < instant { latest = next }
        return latest
    }
}
