import Foundation
import Testing

@testable import Celeriac

extension CronTests {
    /// Next and previous fire times of cron schedules in UTC, and interval schedules.
    @Suite struct NextFire {
        func utc(_ text: String) throws -> Date { try CronTests.utc(text) }

        @Test func everySevenMinutesRestartsEachHour() throws {
            let schedule = try CronTests.cron("*/7 * * * *")
            let ticks = schedule.ticks(after: try utc("2026-01-01T09:59:30Z"), through: try utc("2026-01-01T11:00:00Z"), limit: 100)
            #expect(
                ticks
                    == (try CronTests.utc([
                        "2026-01-01T10:00:00Z", "2026-01-01T10:07:00Z", "2026-01-01T10:14:00Z", "2026-01-01T10:21:00Z",
                        "2026-01-01T10:28:00Z", "2026-01-01T10:35:00Z", "2026-01-01T10:42:00Z", "2026-01-01T10:49:00Z",
                        "2026-01-01T10:56:00Z", "2026-01-01T11:00:00Z",
                    ]))
            )
        }

        @Test func nextFireIsStrictlyAfter() throws {
            let schedule = try CronTests.cron("*/7 * * * *")
            #expect(schedule.nextFire(after: try utc("2026-01-01T10:07:00Z")) == (try utc("2026-01-01T10:14:00Z")))
            #expect(schedule.nextFire(after: try utc("2026-01-01T10:06:59.999Z")) == (try utc("2026-01-01T10:07:00Z")))
            #expect(schedule.nextFire(after: try utc("2026-01-01T10:07:00.001Z")) == (try utc("2026-01-01T10:14:00Z")))
            #expect(schedule.nextFire(after: try utc("2026-12-31T23:56:00Z")) == (try utc("2027-01-01T00:00:00Z")))
        }

        @Test func previousFireIsStrictlyBefore() throws {
            let schedule = try CronTests.cron("*/7 * * * *")
            #expect(schedule.previousFire(before: try utc("2026-01-01T11:00:00Z")) == (try utc("2026-01-01T10:56:00Z")))
            #expect(schedule.previousFire(before: try utc("2026-01-01T10:07:00Z")) == (try utc("2026-01-01T10:00:00Z")))
            #expect(schedule.previousFire(before: try utc("2026-01-01T10:07:00.001Z")) == (try utc("2026-01-01T10:07:00Z")))
            #expect(schedule.previousFire(before: try utc("2027-01-01T00:00:00Z")) == (try utc("2026-12-31T23:56:00Z")))
            let leap = try CronTests.cron("0 0 29 2 *")
            #expect(leap.previousFire(before: try utc("2028-01-01T00:00:00Z")) == (try utc("2024-02-29T00:00:00Z")))
        }

        @Test func thirtyFirstSkipsShortMonths() throws {
            let schedule = try CronTests.cron("0 0 31 * *")
            #expect(schedule.nextFire(after: try utc("2026-04-01T00:00:00Z")) == (try utc("2026-05-31T00:00:00Z")))
            let ticks = schedule.ticks(after: try utc("2026-01-01T00:00:00Z"), through: try utc("2027-01-01T00:00:00Z"), limit: 100)
            #expect(
                ticks
                    == (try CronTests.utc([
                        "2026-01-31T00:00:00Z", "2026-03-31T00:00:00Z", "2026-05-31T00:00:00Z", "2026-07-31T00:00:00Z",
                        "2026-08-31T00:00:00Z", "2026-10-31T00:00:00Z", "2026-12-31T00:00:00Z",
                    ]))
            )
        }

        @Test func leapDayFiresInLeapYearsOnly() throws {
            let schedule = try CronTests.cron("0 0 29 2 *")
            #expect(schedule.nextFire(after: try utc("2025-03-01T00:00:00Z")) == (try utc("2028-02-29T00:00:00Z")))
            #expect(schedule.nextFire(after: try utc("2028-02-29T00:00:00Z")) == (try utc("2032-02-29T00:00:00Z")))
            // 2100 is not a leap year: the longest wait there is.
            #expect(schedule.nextFire(after: try utc("2096-03-01T00:00:00Z")) == (try utc("2104-02-29T00:00:00Z")))
        }

        @Test(arguments: ["0 0 30 2 *", "0 0 31 2 *", "0 0 31 4,6,9,11 *", "* * 30-31 feb *"])
        func impossibleDatesNeverFire(expression: String) throws {
            let schedule = try CronTests.cron(expression)
            let start = try utc("2025-03-01T00:00:00Z")
            #expect(schedule.nextFire(after: start) == nil)
            #expect(schedule.previousFire(before: start) == nil)
            #expect(schedule.ticks(after: start, through: start.addingTimeInterval(86_400 * 3_650), limit: 10) == [])
        }

        @Test func eitherDayMatchesWhenBothAreRestricted() throws {
            // April 2026: Fridays are the 3rd, 10th, 17th and 24th; the 13th is a Monday.
            let start = try utc("2026-04-01T00:00:00Z")
            let end = try utc("2026-04-30T23:59:00Z")
            let either = try CronTests.cron("0 12 13 * fri").ticks(after: start, through: end, limit: 100)
            #expect(
                either
                    == (try CronTests.utc([
                        "2026-04-03T12:00:00Z", "2026-04-10T12:00:00Z", "2026-04-13T12:00:00Z", "2026-04-17T12:00:00Z",
                        "2026-04-24T12:00:00Z",
                    ]))
            )
            let dayOnly = try CronTests.cron("0 12 13 * *").ticks(after: start, through: end, limit: 100)
            #expect(dayOnly == [try utc("2026-04-13T12:00:00Z")])
            let fridays = try CronTests.cron("0 12 * * fri").ticks(after: start, through: end, limit: 100)
            #expect(fridays.count == 4)
            #expect(fridays.first == (try utc("2026-04-03T12:00:00Z")))
            // Both restricted and the month restricted too: the day rule works within it.
            let friday13 = try CronTests.cron("0 0 13 2 fri").nextFire(after: try utc("2026-02-28T00:00:00Z"))
            #expect(friday13 == (try utc("2027-02-05T00:00:00Z")))
        }

        @Test func aliasesFire() throws {
            #expect(try CronTests.cron("@hourly").nextFire(after: try utc("2026-04-01T10:15:00Z")) == (try utc("2026-04-01T11:00:00Z")))
            // 2026-04-01 is a Wednesday; the next Sunday is the 5th.
            #expect(try CronTests.cron("@weekly").nextFire(after: try utc("2026-04-01T10:15:00Z")) == (try utc("2026-04-05T00:00:00Z")))
            #expect(try CronTests.cron("@daily").nextFire(after: try utc("2026-04-01T10:15:00Z")) == (try utc("2026-04-02T00:00:00Z")))
            #expect(try CronTests.cron("@monthly").nextFire(after: try utc("2026-04-01T00:00:00Z")) == (try utc("2026-05-01T00:00:00Z")))
            #expect(try CronTests.cron("@yearly").nextFire(after: try utc("2026-01-01T00:00:00Z")) == (try utc("2027-01-01T00:00:00Z")))
        }

        @Test func weekdayNames() throws {
            let schedule = try CronTests.cron("30 9 * * mon-fri")
            // Friday 2026-04-03 after 09:30: next is Monday the 6th.
            #expect(schedule.nextFire(after: try utc("2026-04-03T10:00:00Z")) == (try utc("2026-04-06T09:30:00Z")))
            #expect(schedule.previousFire(before: try utc("2026-04-06T09:30:00Z")) == (try utc("2026-04-03T09:30:00Z")))
        }

        @Test func cronTicksHonourTheLimit() throws {
            let schedule = try CronTests.cron("* * * * *")
            let start = try utc("2026-01-01T00:00:00Z")
            let ticks = schedule.ticks(after: start, through: start.addingTimeInterval(86_400), limit: 3)
            #expect(ticks == (try CronTests.utc(["2026-01-01T00:01:00Z", "2026-01-01T00:02:00Z", "2026-01-01T00:03:00Z"])))
            #expect(schedule.ticks(after: start, through: start.addingTimeInterval(86_400), limit: 0) == [])
            #expect(schedule.ticks(after: start, through: start, limit: 10) == [])
            #expect(schedule.ticks(after: start, through: start.addingTimeInterval(-60), limit: 10) == [])
        }

        @Test func searchSkipsFieldsInsteadOfMinutes() throws {
            // Every one of these is a search over years; minute by minute it would take seconds.
            let clock = ContinuousClock()
            let elapsed = try clock.measure {
                for _ in 0..<200 {
                    _ = try CronTests.cron("0 0 29 2 *").nextFire(after: try utc("2096-03-01T00:00:00Z"))
                    _ = try CronTests.cron("59 23 31 12 *").nextFire(after: try utc("2026-01-01T00:00:00Z"))
                    _ = try CronTests.cron("0 0 29 2 1").previousFire(before: try utc("2026-01-01T00:00:00Z"))
                }
            }
            #expect(elapsed < .seconds(5))
        }

        // MARK: - Intervals

        @Test func intervalsAreAnchored() throws {
            let anchor = try utc("2026-01-01T00:00:00Z")
            let schedule = try Schedule.every(.seconds(90), anchor: anchor)
            #expect(schedule.nextFire(after: try utc("2026-01-01T00:10:00Z")) == (try utc("2026-01-01T00:10:30Z")))
            #expect(schedule.nextFire(after: try utc("2026-01-01T00:10:30Z")) == (try utc("2026-01-01T00:12:00Z")))
            #expect(schedule.nextFire(after: try utc("2026-01-01T00:10:29.5Z")) == (try utc("2026-01-01T00:10:30Z")))
            // Ticks also run before the anchor, on the same grid.
            #expect(schedule.nextFire(after: try utc("2025-12-31T23:59:00Z")) == anchor)
            #expect(schedule.nextFire(after: try utc("2025-12-31T23:58:00Z")) == (try utc("2025-12-31T23:58:30Z")))
            #expect(schedule.previousFire(before: anchor) == (try utc("2025-12-31T23:58:30Z")))
            #expect(schedule.previousFire(before: try utc("2026-01-01T00:10:31Z")) == (try utc("2026-01-01T00:10:30Z")))
            // Far from the anchor the grid holds.
            let later = try utc("2036-01-01T00:00:00Z")
            let next = try #require(schedule.nextFire(after: later))
            #expect(next.timeIntervalSince(anchor).truncatingRemainder(dividingBy: 90) == 0)
            #expect(next > later && next.timeIntervalSince(later) <= 90)
        }

        @Test func intervalTicksDoNotDependOnTheStart() throws {
            let anchor = try utc("2026-01-01T00:00:00Z")
            let schedule = try Schedule.every(.seconds(90), anchor: anchor)
            let expected = try CronTests.utc([
                "2026-01-01T00:01:30Z", "2026-01-01T00:03:00Z", "2026-01-01T00:04:30Z", "2026-01-01T00:06:00Z",
            ])
            #expect(schedule.ticks(after: anchor, through: try utc("2026-01-01T00:06:00Z"), limit: 10) == expected)
            #expect(schedule.ticks(after: try utc("2026-01-01T00:00:17Z"), through: try utc("2026-01-01T00:06:59Z"), limit: 10) == expected)
            #expect(schedule.ticks(after: anchor, through: try utc("2026-01-01T00:06:00Z"), limit: 2) == Array(expected.prefix(2)))
            #expect(schedule.ticks(after: anchor, through: try utc("2026-01-01T00:06:00Z"), limit: 0) == [])

            let fast = try Schedule.every(.milliseconds(250), anchor: anchor)
            let quarter = fast.ticks(after: anchor, through: anchor.addingTimeInterval(1), limit: 10)
            #expect(quarter == [0.25, 0.5, 0.75, 1].map { anchor.addingTimeInterval($0) })
        }
    }
}
