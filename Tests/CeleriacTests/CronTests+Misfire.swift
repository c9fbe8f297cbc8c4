import Foundation
import Testing

@testable import Celeriac

extension CronTests {
    /// Which ticks are due after the scheduler was away, under each misfire policy.
    @Suite struct Misfire {
        func utc(_ text: String) throws -> Date { try CronTests.utc(text) }
        func utc(_ texts: [String]) throws -> [Date] { try CronTests.utc(texts) }

        let hourly: Schedule

        init() throws { hourly = try CronTests.cron("0 * * * *") }

        @Test func severalMissedTicks() throws {
            // Last run 09:00, back at 12:30: 10:00, 11:00 and 12:00 were missed.
            let last = try utc("2026-05-01T09:00:00Z")
            let now = try utc("2026-05-01T12:30:00Z")
            let next = try utc("2026-05-01T13:00:00Z")

            let skip = MisfirePolicy.skip.dueTicks(for: hourly, lastTick: last, now: now)
            #expect(skip.due == [])
            #expect(skip.next == next)

            let once = MisfirePolicy.once.dueTicks(for: hourly, lastTick: last, now: now)
            #expect(once.due == [try utc("2026-05-01T12:00:00Z")])
            #expect(once.next == next)

            let all = MisfirePolicy.all.dueTicks(for: hourly, lastTick: last, now: now)
            #expect(all.due == (try utc(["2026-05-01T10:00:00Z", "2026-05-01T11:00:00Z", "2026-05-01T12:00:00Z"])))
            #expect(all.next == next)

            // Capped: the most recent ones are kept.
            let capped = MisfirePolicy.all.dueTicks(for: hourly, lastTick: last, now: now, maxCatchUp: 2)
            #expect(capped.due == (try utc(["2026-05-01T11:00:00Z", "2026-05-01T12:00:00Z"])))
            let atLeastOne = MisfirePolicy.all.dueTicks(for: hourly, lastTick: last, now: now, maxCatchUp: 0)
            #expect(atLeastOne.due == [try utc("2026-05-01T12:00:00Z")])
        }

        @Test func onTimeTickIsDueUnderEveryPolicy() throws {
            let last = try utc("2026-05-01T11:00:00Z")
            let tick = try utc("2026-05-01T12:00:00Z")
            for policy in MisfirePolicy.allCases {
                for now in [tick, tick.addingTimeInterval(0.25), tick.addingTimeInterval(59)] {
                    let result = policy.dueTicks(for: hourly, lastTick: last, now: now)
                    #expect(result.due == [tick], "\(policy) at \(now)")
                    #expect(result.next == (try utc("2026-05-01T13:00:00Z")))
                }
            }
        }

        @Test func skipDropsALateTickUnlessWithinGrace() throws {
            let last = try utc("2026-05-01T11:00:00Z")
            let now = try utc("2026-05-01T12:02:00Z")
            #expect(MisfirePolicy.skip.dueTicks(for: hourly, lastTick: last, now: now).due == [])
            #expect(
                MisfirePolicy.skip.dueTicks(for: hourly, lastTick: last, now: now, grace: .seconds(300)).due == [
                    try utc("2026-05-01T12:00:00Z")
                ])
            #expect(MisfirePolicy.once.dueTicks(for: hourly, lastTick: last, now: now).due == [try utc("2026-05-01T12:00:00Z")])
        }

        @Test func everyOnTimeTickIsDueEvenUnderOnce() throws {
            let schedule = try Schedule.every(.seconds(1), anchor: try utc("2026-05-01T00:00:00Z"))
            let last = try utc("2026-05-01T12:00:00Z")
            let now = try utc("2026-05-01T12:00:02.5Z")
            let expected = try utc(["2026-05-01T12:00:01Z", "2026-05-01T12:00:02Z"])
            for policy in MisfirePolicy.allCases {
                #expect(policy.dueTicks(for: schedule, lastTick: last, now: now, grace: .seconds(5)).due == expected, "\(policy)")
            }
        }

        @Test func nothingNewIsDue() throws {
            let last = try utc("2026-05-01T12:00:00Z")
            let now = try utc("2026-05-01T12:30:00Z")
            for policy in MisfirePolicy.allCases {
                let result = policy.dueTicks(for: hourly, lastTick: last, now: now)
                #expect(result.due == [])
                #expect(result.next == (try utc("2026-05-01T13:00:00Z")))
            }
        }

        @Test func newScheduleHasNothingDue() throws {
            let now = try utc("2026-05-01T12:30:00Z")
            for policy in MisfirePolicy.allCases {
                let result = policy.dueTicks(for: hourly, lastTick: nil, now: now)
                #expect(result.due == [])
                #expect(result.next == (try utc("2026-05-01T13:00:00Z")))
            }
            // Even exactly at a tick: that tick was never owed.
            let atTick = MisfirePolicy.all.dueTicks(for: hourly, lastTick: nil, now: try utc("2026-05-01T12:00:00Z"))
            #expect(atTick.due == [])
            #expect(atTick.next == (try utc("2026-05-01T13:00:00Z")))
        }

        @Test func clockGoingBackDoesNotRepeatTicks() throws {
            let result = MisfirePolicy.all.dueTicks(
                for: hourly, lastTick: try utc("2026-05-01T14:00:00Z"), now: try utc("2026-05-01T12:30:00Z")
            )
            #expect(result.due == [])
            #expect(result.next == (try utc("2026-05-01T15:00:00Z")))
        }

        @Test func intervalCatchUp() throws {
            let anchor = try utc("2026-05-01T00:00:00Z")
            let schedule = try Schedule.every(.seconds(600), anchor: anchor)
            let last = try utc("2026-05-01T01:00:00Z")
            let now = try utc("2026-05-01T01:45:00Z")
            let all = MisfirePolicy.all.dueTicks(for: schedule, lastTick: last, now: now)
            #expect(
                all.due == (try utc(["2026-05-01T01:10:00Z", "2026-05-01T01:20:00Z", "2026-05-01T01:30:00Z", "2026-05-01T01:40:00Z"]))
            )
            #expect(all.next == (try utc("2026-05-01T01:50:00Z")))
            #expect(MisfirePolicy.once.dueTicks(for: schedule, lastTick: last, now: now).due == [try utc("2026-05-01T01:40:00Z")])
            #expect(MisfirePolicy.skip.dueTicks(for: schedule, lastTick: last, now: now).due == [])
        }

        @Test func longOutageCostsOnlyTheTicksReturned() throws {
            // A year away from an every-minute schedule: 525,600 missed ticks, 100 returned.
            let schedule = try CronTests.cron("* * * * *", "Europe/Berlin")
            let last = try utc("2025-05-01T12:00:00Z")
            let now = try utc("2026-05-01T12:00:30Z")
            let clock = ContinuousClock()
            var result: (due: [Date], next: Date?) = ([], nil)
            let elapsed = clock.measure {
                result = MisfirePolicy.all.dueTicks(for: schedule, lastTick: last, now: now)
            }
            #expect(result.due.count == 100)
            #expect(result.due.first == (try utc("2026-05-01T10:21:00Z")))
            #expect(result.due.last == (try utc("2026-05-01T12:00:00Z")))
            #expect(result.next == (try utc("2026-05-01T12:01:00Z")))
            #expect(elapsed < .seconds(2))
        }
    }
}
