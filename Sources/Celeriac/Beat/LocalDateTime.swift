/// A wall-clock minute in the proleptic Gregorian calendar, with no time zone attached: what a
/// clock on the wall shows. Cron expressions are matched against these; a ``TimeZone`` turns
/// them into instants (see `TimeZone.firstInstant(of:)`).
///
/// Fields may temporarily overflow (minute 60, hour 24, day 32, month 13) while the cron search
/// carries into the next unit; the search normalises them.
struct LocalDateTime: Sendable, Hashable, Comparable, CustomStringConvertible {
    var year: Int
    var month: Int
    var day: Int
    var hour: Int
    var minute: Int

    static func < (lhs: LocalDateTime, rhs: LocalDateTime) -> Bool {
        (lhs.year, lhs.month, lhs.day, lhs.hour, lhs.minute) < (rhs.year, rhs.month, rhs.day, rhs.hour, rhs.minute)
    }

    /// `2026-03-08 02:30`.
    var description: String {
        func pad(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2)) \(pad(hour, 2)):\(pad(minute, 2))"
    }

    /// Seconds since 1970-01-01 00:00 of this wall-clock time read as if it were UTC.
    var secondsSinceEpoch: Int {
        let days = Self.daysSinceEpoch(year: year, month: month, day: day)
        return days * 86_400 + hour * 3_600 + minute * 60
    }

    static func isLeapYear(_ year: Int) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days from 1970-01-01 to the given date (negative before), proleptic Gregorian
    /// (Howard Hinnant's `days_from_civil`).
    static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// 0 = Sunday … 6 = Saturday.
    static func weekday(year: Int, month: Int, day: Int) -> Int {
        let days = daysSinceEpoch(year: year, month: month, day: day)
        // 1970-01-01 was a Thursday (4).
        return ((days % 7) + 7 + 4) % 7
    }
}
