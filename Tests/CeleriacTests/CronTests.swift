import Foundation
import Testing

@testable import Celeriac

/// Parsing of cron expressions, time zones and intervals; the schedule, DST and misfire suites
/// are nested in extensions (CronTests+Schedule.swift, CronTests+DST.swift,
/// CronTests+Misfire.swift) so `--filter CronTests` runs them all.
@Suite struct CronTests {
    /// An instant from an ISO-8601 text in UTC, e.g. `2026-03-08T07:00:00Z`.
    static func utc(_ text: String) throws -> Date {
        try Date(text, strategy: .iso8601)
    }

    /// Instants from ISO-8601 texts in UTC.
    static func utc(_ texts: [String]) throws -> [Date] {
        try texts.map { try utc($0) }
    }

    /// The schedule for `expression` in `zone`.
    static func cron(_ expression: String, _ zone: String = "UTC") throws -> Schedule {
        try Schedule.crontab(expression, timeZone: zone)
    }

    // MARK: - Syntax

    @Test func wildcardsAndNumbers() throws {
        let every = try CronExpression("* * * * *")
        #expect(every.minute.values == Array(0...59))
        #expect(every.hour.values == Array(0...23))
        #expect(every.dayOfMonth.values == Array(1...31))
        #expect(every.month.values == Array(1...12))
        #expect(every.dayOfWeek.values == Array(0...6))
        #expect(every.dayOfMonth.isWildcard && every.dayOfWeek.isWildcard)

        let single = try CronExpression("5 4 3 2 1")
        #expect(single.minute.values == [5])
        #expect(single.hour.values == [4])
        #expect(single.dayOfMonth.values == [3])
        #expect(single.month.values == [2])
        #expect(single.dayOfWeek.values == [1])
        #expect(single.matchesEitherDay)
    }

    @Test func rangesStepsAndLists() throws {
        #expect(try CronExpression("1-5 * * * *").minute.values == [1, 2, 3, 4, 5])
        #expect(try CronExpression("*/7 * * * *").minute.values == [0, 7, 14, 21, 28, 35, 42, 49, 56])
        #expect(try CronExpression("10-50/5 * * * *").minute.values == Array(stride(from: 10, through: 50, by: 5)))
        #expect(try CronExpression("5/15 * * * *").minute.values == [5, 20, 35, 50])
        #expect(try CronExpression("1,15,30 * * * *").minute.values == [1, 15, 30])
        #expect(try CronExpression("1-5,10,*/20 * * * *").minute.values == [0, 1, 2, 3, 4, 5, 10, 20, 40])
        #expect(try CronExpression("0 */6 * * *").hour.values == [0, 6, 12, 18])
        #expect(try CronExpression("0 9-17/4 * * *").hour.values == [9, 13, 17])
        #expect(try CronExpression("0 0 */10 * *").dayOfMonth.values == [1, 11, 21, 31])
        #expect(try CronExpression("0 0 1 */3 *").month.values == [1, 4, 7, 10])
        #expect(try CronExpression("0 0 * * 1/2").dayOfWeek.values == [1, 3, 5])
        #expect(try CronExpression("59 23 31 12 6").minute.values == [59])
        #expect(try CronExpression("0 0 1,1,1 * *").dayOfMonth.values == [1])
    }

    @Test func monthAndDayNamesInAnyCase() throws {
        let names = try CronExpression("0 0 * JAN-mar,Dec mon-FRI")
        #expect(names.month.values == [1, 2, 3, 12])
        #expect(names.dayOfWeek.values == [1, 2, 3, 4, 5])
        #expect(try CronExpression("0 0 * jun-aug/2 sat,sun").month.values == [6, 8])
        #expect(try CronExpression("0 0 * * sat,sun").dayOfWeek.values == [0, 6])
        // A Sunday by name closes a range as 7.
        #expect(try CronExpression("0 0 * * fri-sun").dayOfWeek.values == [0, 5, 6])
        #expect(try CronExpression("0 0 * * sun-tue").dayOfWeek.values == [0, 1, 2])
    }

    @Test func sevenIsSunday() throws {
        let seven = try CronExpression("0 0 * * 7")
        #expect(seven.dayOfWeek.values == [0])
        #expect(seven == (try CronExpression("0 0 * * 0")))
        #expect(seven == (try CronExpression("0 0 * * SUN")))
        #expect(try CronExpression("0 0 * * 5-7").dayOfWeek.values == [0, 5, 6])
        #expect(try CronExpression("0 0 * * 0-7").dayOfWeek.values == Array(0...6))
    }

    @Test(arguments: [
        ("@yearly", "0 0 1 1 *"), ("@annually", "0 0 1 1 *"), ("@monthly", "0 0 1 * *"),
        ("@weekly", "0 0 * * 0"), ("@daily", "0 0 * * *"), ("@midnight", "0 0 * * *"),
        ("@hourly", "0 * * * *"), ("  @HOURLY ", "0 * * * *"),
    ])
    func aliases(alias: String, expansion: String) throws {
        let expression = try CronExpression(alias)
        #expect(expression == (try CronExpression(expansion)))
        #expect(expression.description == alias.trimmingCharacters(in: .whitespaces).lowercased())
    }

    @Test func descriptionIsTheNormalisedText() throws {
        #expect(try CronExpression("  0   9 * *\tMON-FRI ").description == "0 9 * * mon-fri")
        #expect(try CronExpression("*/15 * * JAN *").description == "*/15 * * jan *")
        #expect(try CronExpression("@Daily").description == "@daily")
        #expect("\(try CronExpression("1,2 3 * * *"))" == "1,2 3 * * *")
    }

    @Test func equalityIgnoresSpelling() throws {
        let a = try CronExpression("*/30 * * * *")
        let b = try CronExpression("0,30 * * * *")
        #expect(a == b)
        #expect(a.hashValue == b.hashValue)
        #expect(a.description != b.description)
        #expect(try CronExpression("0 0 * * 1") != CronExpression("0 0 * * 2"))
        // Same sets, different day rule: `1-31` restricts the field, `*` does not.
        #expect(try CronExpression("0 0 * * 1") != CronExpression("0 0 1-31 * 1"))
        #expect(Set([a, b, try CronExpression("@hourly")]).count == 2)
    }

    @Test func dayRuleDependsOnBareWildcards() throws {
        #expect(try CronExpression("0 0 1 * mon").matchesEitherDay)
        #expect(try !CronExpression("0 0 1 * *").matchesEitherDay)
        #expect(try !CronExpression("0 0 * * mon").matchesEitherDay)
        #expect(try !CronExpression("0 0 * * *").matchesEitherDay)
    }

    // MARK: - Errors

    @Test(arguments: [
        ("61 * * * *", "minute", "minute value 61 is out of range 0-59"),
        ("* 24 * * *", "hour", "hour value 24 is out of range 0-23"),
        ("* * 0 * *", "day of month", "day of month value 0 is out of range 1-31"),
        ("* * 32 * *", "day of month", "day of month value 32 is out of range 1-31"),
        ("* * * 13 *", "month", "month value 13 is out of range 1-12"),
        ("* * * 0 *", "month", "month value 0 is out of range 1-12"),
        ("* * * * 8", "day of week", "day of week value 8 is out of range 0-7"),
        ("99999999999999999999 * * * *", "minute", "minute value 99999999999999999999 is out of range 0-59"),
        ("*/0 * * * *", "minute", "minute step 0 is out of range 1-59"),
        ("* 1-10/0 * * *", "hour", "hour step 0 is out of range 1-23"),
        ("*/60 * * * *", "minute", "minute step 60 is out of range 1-59"),
        ("*/x * * * *", "minute", "minute step \"x\" is not a number"),
        ("* 5-1 * * *", "hour", "hour range 5-1 is reversed (the start must not exceed the end)"),
        ("* * * dec-jan *", "month", "month range dec-jan is reversed (the start must not exceed the end)"),
        ("* * * foo *", "month", "month value \"foo\" is not a number or a month name (jan-dec)"),
        ("* * * * foo", "day of week", "day of week value \"foo\" is not a number or a day name (sun-sat)"),
        ("* * * * mon-foo", "day of week", "day of week value \"foo\" is not a number or a day name (sun-sat)"),
        ("jan * * * *", "minute", "minute value \"jan\" is not a number"),
        ("* * mon * *", "day of month", "day of month value \"mon\" is not a number"),
        ("1,,2 * * * *", "minute", "minute list \"1,,2\" has an empty element"),
        ("1, * * * *", "minute", "minute list \"1,\" has an empty element"),
        ("1-2-3 * * * *", "minute", "minute element \"1-2-3\" is malformed (expected a value, a range or a step)"),
        ("-5 * * * *", "minute", "minute element \"-5\" is malformed (expected a value, a range or a step)"),
        ("*-5 * * * *", "minute", "minute element \"*-5\" is malformed (expected a value, a range or a step)"),
        ("*/5/2 * * * *", "minute", "minute element \"*/5/2\" is malformed (expected a value, a range or a step)"),
    ])
    func invalidFieldsNameTheFieldAndValue(text: String, field: String, problem: String) {
        let error = #expect(throws: CronError.self) { try CronExpression(text) }
        #expect(error?.field == field)
        #expect(error?.message == "invalid cron expression \"\(text)\": \(problem)")
        #expect(error?.description == error?.message)
    }

    @Test(arguments: [
        ("", "the expression is empty"),
        ("   ", "the expression is empty"),
        ("* * * *", "expected 5 fields (minute hour day-of-month month day-of-week), got 4"),
        ("0 * * * * *", "expected 5 fields (minute hour day-of-month month day-of-week), got 6"),
        ("daily", "expected 5 fields (minute hour day-of-month month day-of-week), got 1"),
        (
            "@fortnightly",
            "unknown alias \"@fortnightly\" (expected @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly)"
        ),
        ("@reboot", "unknown alias \"@reboot\" (expected @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly)"),
        (
            "@daily 5", "unknown alias \"@daily 5\" (expected @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly)"
        ),
    ])
    func invalidExpressionsAsAWhole(text: String, problem: String) {
        let error = #expect(throws: CronError.self) { try CronExpression(text) }
        #expect(error?.field == nil)
        #expect(error?.message == "invalid cron expression \"\(text)\": \(problem)")
    }

    @Test func timeZonesAreChecked() throws {
        #expect(try Schedule.timeZone(named: "Europe/Berlin").identifier == "Europe/Berlin")
        #expect(try Schedule.timeZone(named: "America/New_York").secondsFromGMT(for: Self.utc("2026-01-15T12:00:00Z")) == -5 * 3600)
        #expect(try Schedule.timeZone(named: "UTC").secondsFromGMT(for: Date()) == 0)
        for name in ["Mars/Olympus", "", "Europe/Berlinn"] {
            let error = #expect(throws: CronError.self) { try Schedule.timeZone(named: name) }
            #expect(error?.field == "time zone")
            #expect(
                error?.message == "unknown time zone \"\(name)\": expected an IANA name such as \"Europe/Berlin\" or \"UTC\""
            )
        }
        let bad = #expect(throws: CronError.self) { try Schedule.crontab("0 * * * *", timeZone: "Mars/Olympus") }
        #expect(bad?.field == "time zone")
        let badExpression = #expect(throws: CronError.self) { try Schedule.crontab("0 * * *", timeZone: "Mars/Olympus") }
        #expect(badExpression?.field == nil)
    }

    @Test func intervalsMustBePositive() throws {
        for interval in [Duration.zero, .seconds(-5)] {
            let error = #expect(throws: CronError.self) { try Schedule.every(interval, anchor: Date()) }
            #expect(error?.field == "interval")
            #expect(error?.message == "invalid interval \(interval): it must be positive")
        }
        let anchor = try Self.utc("2026-01-01T00:00:00Z")
        #expect(try Schedule.every(.seconds(30), anchor: anchor) == .interval(.seconds(30), anchor: anchor))
        // Built directly, a non-positive interval simply never fires.
        #expect(Schedule.interval(.zero, anchor: anchor).nextFire(after: anchor) == nil)
        #expect(Schedule.interval(.seconds(-1), anchor: anchor).previousFire(before: anchor) == nil)
    }

    @Test func schedulesDescribeThemselves() throws {
        #expect(try Self.cron("*/15  *  * * *", "Europe/Berlin").description == "*/15 * * * * (Europe/Berlin)")
        let anchor = try Self.utc("2026-01-01T00:00:00Z")
        #expect(Schedule.interval(.seconds(30), anchor: anchor).description == "every 30.0 seconds from 2026-01-01T00:00:00Z")
        #expect(try Self.cron("@daily", "America/New_York") == Self.cron("0 0 * * *", "America/New_York"))
        #expect(try Self.cron("@daily", "America/New_York") != Self.cron("0 0 * * *", "Europe/Berlin"))
    }
}
