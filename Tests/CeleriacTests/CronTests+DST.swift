import Foundation
import Testing

@testable import Celeriac

extension CronTests {
    /// Daylight-saving transitions: each matching wall-clock minute fires once, at the first
    /// instant the zone's clocks reach it (skipped times at the end of the jump, repeated times
    /// at their first occurrence).
    ///
    /// 2026 transitions used: America/New_York 2026-03-08 02:00 EST → 03:00 EDT (07:00 UTC) and
    /// 2026-11-01 02:00 EDT → 01:00 EST (06:00 UTC); Europe/Berlin 2026-03-29 02:00 CET → 03:00
    /// CEST (01:00 UTC) and 2026-10-25 03:00 CEST → 02:00 CET (01:00 UTC).
    @Suite struct DaylightSaving {
        func utc(_ text: String) throws -> Date { try CronTests.utc(text) }
        func utc(_ texts: [String]) throws -> [Date] { try CronTests.utc(texts) }

        // MARK: America/New_York

        @Test func newYorkSpringForwardRunsSkippedTimeOnceAtThree() throws {
            let schedule = try CronTests.cron("30 2 * * *", "America/New_York")
            let ticks = schedule.ticks(after: try utc("2026-03-06T12:00:00Z"), through: try utc("2026-03-10T12:00:00Z"), limit: 10)
            #expect(
                ticks
                    == (try utc([
                        "2026-03-07T07:30:00Z",  // 02:30 EST
                        "2026-03-08T07:00:00Z",  // 02:30 does not exist: 03:00 EDT
                        "2026-03-09T06:30:00Z",  // 02:30 EDT
                        "2026-03-10T06:30:00Z",
                    ]))
            )
            #expect(schedule.previousFire(before: try utc("2026-03-08T08:00:00Z")) == (try utc("2026-03-08T07:00:00Z")))
            #expect(schedule.previousFire(before: try utc("2026-03-08T07:00:00Z")) == (try utc("2026-03-07T07:30:00Z")))
        }

        @Test func newYorkSpringForwardHalfHours() throws {
            let schedule = try CronTests.cron("*/30 * * * *", "America/New_York")
            let ticks = schedule.ticks(after: try utc("2026-03-08T06:00:00Z"), through: try utc("2026-03-08T08:00:00Z"), limit: 10)
            // 01:30 EST, then 02:00, 02:30 and 03:00 all fall on 03:00 EDT, once.
            #expect(ticks == (try utc(["2026-03-08T06:30:00Z", "2026-03-08T07:00:00Z", "2026-03-08T07:30:00Z", "2026-03-08T08:00:00Z"])))
            // The local day 2026-03-08 (00:00 EST = 05:00 UTC to 23:59 EDT = 03:59 UTC) has 23 hours.
            let start = try utc("2026-03-08T04:59:00Z")
            let end = try utc("2026-03-09T03:59:00Z")
            #expect(schedule.ticks(after: start, through: end, limit: 100).count == 46)
            #expect(try CronTests.cron("0 * * * *", "America/New_York").ticks(after: start, through: end, limit: 100).count == 23)
        }

        @Test func newYorkFallBackRunsRepeatedTimeOnce() throws {
            let window = (try utc("2026-10-31T12:00:00Z"), try utc("2026-11-02T12:00:00Z"))
            let repeated = try CronTests.cron("30 1 * * *", "America/New_York")
            // 01:30 EDT (05:30 UTC), not again at 01:30 EST (06:30 UTC); then 01:30 EST next day.
            #expect(
                repeated.ticks(after: window.0, through: window.1, limit: 10)
                    == (try utc(["2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"])))
            #expect(repeated.nextFire(after: try utc("2026-11-01T05:30:00Z")) == (try utc("2026-11-02T06:30:00Z")))
            #expect(repeated.previousFire(before: try utc("2026-11-02T00:00:00Z")) == (try utc("2026-11-01T05:30:00Z")))

            let afterwards = try CronTests.cron("30 2 * * *", "America/New_York")
            #expect(
                afterwards.ticks(after: window.0, through: window.1, limit: 10)
                    == (try utc(["2026-11-01T07:30:00Z", "2026-11-02T07:30:00Z"])))
        }

        @Test func newYorkHourlyDoesNotRepeatTheRepeatedHour() throws {
            let hourly = try CronTests.cron("0 * * * *", "America/New_York")
            let ticks = hourly.ticks(after: try utc("2026-11-01T04:00:00Z"), through: try utc("2026-11-01T08:00:00Z"), limit: 10)
            // 01:00 EDT, (01:00 EST skipped), 02:00 EST, 03:00 EST.
            #expect(ticks == (try utc(["2026-11-01T05:00:00Z", "2026-11-01T07:00:00Z", "2026-11-01T08:00:00Z"])))
            // The local day 2026-11-01 (00:00 EDT = 04:00 UTC to 23:59 EST = 04:59 UTC) has 25 hours.
            let start = try utc("2026-11-01T03:59:00Z")
            let end = try utc("2026-11-02T04:59:00Z")
            #expect(hourly.ticks(after: start, through: end, limit: 100).count == 24)
            #expect(try CronTests.cron("*/30 * * * *", "America/New_York").ticks(after: start, through: end, limit: 100).count == 48)
        }

        @Test func insideTheRepeatedHourEarlierFiresAreNotRepeated() throws {
            // 06:10 UTC is 01:10 EST, the second pass through 01:xx.
            let inside = try utc("2026-11-01T06:10:00Z")
            let halfHours = try CronTests.cron("*/30 * * * *", "America/New_York")
            #expect(halfHours.nextFire(after: inside) == (try utc("2026-11-01T07:00:00Z")))
            #expect(halfHours.previousFire(before: inside) == (try utc("2026-11-01T05:30:00Z")))
            let minutes = try CronTests.cron("* * * * *", "America/New_York")
            #expect(minutes.nextFire(after: inside) == (try utc("2026-11-01T07:00:00Z")))
            #expect(minutes.previousFire(before: inside) == (try utc("2026-11-01T05:59:00Z")))
        }

        // MARK: Europe/Berlin

        @Test func berlinSpringForward() throws {
            let schedule = try CronTests.cron("30 2 * * *", "Europe/Berlin")
            let ticks = schedule.ticks(after: try utc("2026-03-27T12:00:00Z"), through: try utc("2026-03-30T12:00:00Z"), limit: 10)
            // 02:30 CET; 03:00 CEST (02:30 does not exist); 02:30 CEST.
            #expect(ticks == (try utc(["2026-03-28T01:30:00Z", "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"])))
            // The local day 2026-03-29: 00:00 CET = 23:00 UTC the day before, to 23:59 CEST = 21:59 UTC.
            let start = try utc("2026-03-28T22:59:00Z")
            let end = try utc("2026-03-29T21:59:00Z")
            #expect(try CronTests.cron("*/30 * * * *", "Europe/Berlin").ticks(after: start, through: end, limit: 100).count == 46)
            #expect(try CronTests.cron("0 * * * *", "Europe/Berlin").ticks(after: start, through: end, limit: 100).count == 23)
        }

        @Test func berlinFallBack() throws {
            let schedule = try CronTests.cron("30 2 * * *", "Europe/Berlin")
            let ticks = schedule.ticks(after: try utc("2026-10-24T12:00:00Z"), through: try utc("2026-10-26T12:00:00Z"), limit: 10)
            // 02:30 CEST (00:30 UTC) once, not again at 02:30 CET (01:30 UTC); 02:30 CET next day.
            #expect(ticks == (try utc(["2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"])))

            let hourly = try CronTests.cron("0 * * * *", "Europe/Berlin")
            let hours = hourly.ticks(after: try utc("2026-10-24T23:30:00Z"), through: try utc("2026-10-25T03:00:00Z"), limit: 10)
            // 02:00 CEST, (02:00 CET skipped), 03:00 CET, 04:00 CET.
            #expect(hours == (try utc(["2026-10-25T00:00:00Z", "2026-10-25T02:00:00Z", "2026-10-25T03:00:00Z"])))

            // The local day 2026-10-25: 00:00 CEST = 22:00 UTC the day before, to 23:59 CET = 22:59 UTC.
            let start = try utc("2026-10-24T21:59:00Z")
            let end = try utc("2026-10-25T22:59:00Z")
            #expect(try CronTests.cron("*/30 * * * *", "Europe/Berlin").ticks(after: start, through: end, limit: 100).count == 48)
            #expect(hourly.ticks(after: start, through: end, limit: 100).count == 24)
        }

        // MARK: Other shapes of transition

        @Test func halfHourShiftAndSkippedDay() throws {
            // Lord Howe Island moves its clocks by 30 minutes: 2026-10-04 02:00 → 02:30 (15:30 UTC),
            // and 2026-04-05 02:00 → 01:30 (15:00 UTC).
            let skipped = try CronTests.cron("15 2 * * *", "Australia/Lord_Howe")
            #expect(skipped.nextFire(after: try utc("2026-10-03T12:00:00Z")) == (try utc("2026-10-03T15:30:00Z")))
            let repeated = try CronTests.cron("45 1 * * *", "Australia/Lord_Howe")
            #expect(repeated.nextFire(after: try utc("2026-04-04T12:00:00Z")) == (try utc("2026-04-04T14:45:00Z")))
            #expect(repeated.nextFire(after: try utc("2026-04-04T14:45:00Z")) == (try utc("2026-04-05T15:15:00Z")))
            // Samoa skipped 30 December 2011 entirely (23:59 on the 29th, then 00:00 on the 31st).
            let noon = try CronTests.cron("0 12 30 12 *", "Pacific/Apia")
            #expect(noon.nextFire(after: try utc("2011-12-29T00:00:00Z")) == (try utc("2011-12-30T10:00:00Z")))
        }

        // MARK: Against a brute-force reference

        /// Fire times found by walking real minutes one at a time: at each minute, every
        /// wall-clock minute the clock has newly reached (above the highest shown so far, up to
        /// the one it shows now) that matches makes this minute fire.
        static func referenceFires(_ expression: CronExpression, in zone: TimeZone, after start: Date, through end: Date) -> [Date] {
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(secondsFromGMT: 0) ?? zone
            /// The wall clock shown at `instant`, as seconds since 1970 read as UTC.
            func wall(_ instant: Date) -> Int {
                Int(instant.timeIntervalSince1970) + zone.secondsFromGMT(for: instant)
            }
            let minutes = Set(expression.minute.values)
            let hours = Set(expression.hour.values)
            let months = Set(expression.month.values)
            let daysOfMonth = Set(expression.dayOfMonth.values)
            let daysOfWeek = Set(expression.dayOfWeek.values)
            var days: [Int: Bool] = [:]
            func dayMatches(_ day: Int) -> Bool {
                if let known = days[day] { return known }
                let parts = calendar.dateComponents([.day, .month, .weekday], from: Date(timeIntervalSince1970: Double(day * 86_400)))
                guard let dayOfMonth = parts.day, let month = parts.month, let weekday = parts.weekday else { return false }
                let byDate = daysOfMonth.contains(dayOfMonth)
                let byWeekday = daysOfWeek.contains(weekday - 1)
                let bothRestricted = !expression.dayOfMonth.isWildcard && !expression.dayOfWeek.isWildcard
                let result = months.contains(month) && (bothRestricted ? byDate || byWeekday : byDate && byWeekday)
                days[day] = result
                return result
            }
            func matches(_ wall: Int) -> Bool {
                minutes.contains(wall / 60 % 60) && hours.contains(wall / 3_600 % 24)
                    && dayMatches(wall / 86_400)
            }
            var fires: [Date] = []
            var highest = wall(start)
            var instant = start.addingTimeInterval(60)
            while instant <= end {
                let shown = wall(instant)
                if stride(from: highest + 60, through: shown, by: 60).contains(where: matches) { fires.append(instant) }
                highest = max(highest, shown)
                instant = instant.addingTimeInterval(60)
            }
            return fires
        }

        /// Where two lists of instants first differ, or nil when they are equal.
        static func firstDifference(_ actual: [Date], _ expected: [Date]) -> String? {
            for index in 0..<max(actual.count, expected.count) {
                let got = index < actual.count ? "\(actual[index])" : "nothing"
                let wanted = index < expected.count ? "\(expected[index])" : "nothing"
                if got != wanted { return "at \(index): got \(got), expected \(wanted)" }
            }
            return nil
        }

        @Test(arguments: [
            ("America/New_York", "2026-03-07T12:00:00Z"), ("America/New_York", "2026-10-31T12:00:00Z"),
            ("Europe/Berlin", "2026-03-28T12:00:00Z"), ("Europe/Berlin", "2026-10-24T12:00:00Z"),
            ("Australia/Lord_Howe", "2026-10-03T00:00:00Z"), ("Australia/Lord_Howe", "2026-04-04T00:00:00Z"),
        ])
        func agreesWithBruteForce(zoneName: String, from: String) throws {
            let zone = try Schedule.timeZone(named: zoneName)
            let start = try utc(from)
            let end = start.addingTimeInterval(2 * 86_400)
            let expressions = [
                "* * * * *", "*/15 * * * *", "0 * * * *", "30 * * * *", "30 2 * * *", "30 1 * * *", "45 1,2 * * *",
                "*/7 1-3 * * *", "0 0 * * *", "0-10 2 * * sun", "59 1 * * *", "0 3 * * *",
            ]
            for text in expressions {
                let expression = try CronExpression(text)
                let schedule = Schedule.cron(expression, timeZone: zone)
                let expected = Self.referenceFires(expression, in: zone, after: start, through: end)
                let forwards = schedule.ticks(after: start, through: end, limit: 10_000)
                #expect(Self.firstDifference(forwards, expected) == nil, "\(text) in \(zoneName)")

                var backwards: [Date] = []
                var cursor = end.addingTimeInterval(0.5)
                while let previous = schedule.previousFire(before: cursor), previous > start {
                    backwards.append(previous)
                    cursor = previous
                }
                #expect(Self.firstDifference(backwards.reversed(), expected) == nil, "\(text) in \(zoneName), backwards")

                // From instants between minute boundaries too, including inside repeated hours.
                for probe in stride(from: 37.0, to: 2 * 86_400, by: 7 * 60 + 13).map({ start.addingTimeInterval($0) }) {
                    if let next = expected.first(where: { $0 > probe }) {
                        #expect(schedule.nextFire(after: probe) == next, "\(text) in \(zoneName) after \(probe)")
                    }
                    if let previous = expected.last(where: { $0 < probe }) {
                        #expect(schedule.previousFire(before: probe) == previous, "\(text) in \(zoneName) before \(probe)")
                    }
                }
            }
        }
    }
}
