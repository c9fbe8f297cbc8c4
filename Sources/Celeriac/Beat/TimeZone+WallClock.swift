import Foundation

extension TimeZone {
    /// The wall-clock minute this zone shows at `instant` (seconds dropped), read with a
    /// Gregorian `Calendar` set to this zone; nil only if the calendar cannot split the date.
    func wallClock(at instant: Date) -> LocalDateTime? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = self
        // Whole seconds first: the calendar works in milliseconds and could otherwise round
        // 11:59:59.9999 up to noon, one minute too far.
        let whole = Date(timeIntervalSince1970: instant.timeIntervalSince1970.rounded(.down))
        let parts = calendar.dateComponents([.era, .year, .month, .day, .hour, .minute], from: whole)
        guard let era = parts.era, let year = parts.year, let month = parts.month, let day = parts.day,
            let hour = parts.hour, let minute = parts.minute
        else { return nil }
        return LocalDateTime(year: era == 0 ? 1 - year : year, month: month, day: day, hour: hour, minute: minute)
    }

    /// The instant at which the wall-clock time `wall` is reached in this zone:
    ///
    /// - a time that occurs once: that instant;
    /// - a time that occurs twice (the clocks went back): the first occurrence;
    /// - a time that does not occur (the clocks jumped over it): the first instant after the
    ///   jump, e.g. 03:00 local for 02:30 on a night the clocks go from 02:00 to 03:00.
    ///
    /// So the result never decreases as `wall` increases.
    func firstInstant(of wall: LocalDateTime) -> Date {
        let local = wall.secondsSinceEpoch
        func offset(_ second: Int) -> Int {
            secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(second)))
        }
        func instant(_ second: Int) -> Date { Date(timeIntervalSince1970: TimeInterval(second)) }

        // Offsets that can apply: those a day either side (any transition near `wall` lies
        // between them) and those at the instants they suggest.
        let before = offset(local - 86_400)
        let after = offset(local + 86_400)
        let offsets: Set<Int> = [before, after, offset(local - before), offset(local - after)]
        let occurrences = offsets.map { local - $0 }.filter { $0 + offset($0) == local }
        if let first = occurrences.min() { return instant(first) }

        // Skipped: find the first instant whose wall clock is past `wall` (the end of the gap).
        guard let largest = offsets.max(), let smallest = offsets.min() else { return instant(local) }
        var low = local - largest  // shows a time before `wall`
        var high = local - smallest  // shows a time after `wall`
        guard low < high, low + offset(low) < local, high + offset(high) > local else { return instant(high) }
        while high - low > 1 {
            let middle = low + (high - low) / 2
            if middle + offset(middle) > local { high = middle } else { low = middle }
        }
        return instant(high)
    }
}
