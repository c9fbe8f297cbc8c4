import Foundation
import Testing

@testable import CeleriacDashboard

/// The /metrics counters made from task_stats rows: they add what rows gained, never twice.
@Suite struct TaskStatsCountersTests {
    typealias Row = TaskStatsCounters.Row

    static let now = Date(timeIntervalSince1970: 1_796_000_000)
    static func row(_ minutesAgo: Double, _ metric: String, bucket: Int, worker: String = "w1") -> Row {
        Row(
            minute: (now.timeIntervalSince1970 / 60).rounded(.down) * 60 - minutesAgo * 60, queue: "celery", name: "tasks.add",
            worker: worker, metric: metric, bucket: bucket)
    }

    @Test func aRowAddsWhatItGainedSinceTheLastScrape() {
        var counters = TaskStatsCounters()
        counters.update([(Self.row(0, "succeeded", bucket: 20), 3), (Self.row(1, "succeeded", bucket: 20), 2)], now: Self.now)
        #expect(counters.totals["tasks.add"]?["succeeded"]?.count == 5)
        // The current minute grew by 4; the last minute is read again unchanged.
        counters.update([(Self.row(0, "succeeded", bucket: 20), 7), (Self.row(1, "succeeded", bucket: 20), 2)], now: Self.now)
        #expect(counters.totals["tasks.add"]?["succeeded"]?.count == 9)
        // A scrape that read earlier but is applied later takes nothing back and adds nothing.
        counters.update([(Self.row(0, "succeeded", bucket: 20), 5)], now: Self.now)
        #expect(counters.totals["tasks.add"]?["succeeded"]?.count == 9)
        counters.update([(Self.row(0, "succeeded", bucket: 20), 8)], now: Self.now)
        #expect(counters.totals["tasks.add"]?["succeeded"]?.count == 10)
    }

    @Test func theHistogramIsCumulativeWithASumAndACount() {
        var counters = TaskStatsCounters()
        // Bucket 0 (up to 100 µs), bucket 9 (about 2.3 ms), bucket 63 (beyond every bound shown).
        counters.update(
            [
                (Self.row(0, "succeeded", bucket: 0), 1), (Self.row(0, "failed", bucket: 9), 2),
                (Self.row(0, "succeeded", bucket: 63), 1), (Self.row(0, "wait", bucket: 9), 4),
            ], now: Self.now)
        let text = counters.histogram("x_seconds", help: "h", metrics: ["succeeded", "failed"])
        #expect(text.hasPrefix("# HELP x_seconds h\n# TYPE x_seconds histogram\n"))
        #expect(text.contains("x_seconds_bucket{name=\"tasks.add\",le=\"0.0001\"} 1\n"))
        #expect(text.contains("x_seconds_bucket{name=\"tasks.add\",le=\"0.0016\"} 1\n"))
        #expect(text.contains("x_seconds_bucket{name=\"tasks.add\",le=\"0.0064\"} 3\n"))
        #expect(text.contains("x_seconds_bucket{name=\"tasks.add\",le=\"+Inf\"} 4\n"))
        #expect(text.contains("x_seconds_count{name=\"tasks.add\"} 4\n"))
        let waits = counters.histogram("w_seconds", help: "h", metrics: ["wait"])
        #expect(waits.contains("w_seconds_count{name=\"tasks.add\"} 4\n"))
        #expect(counters.histogram("r", help: "h", metrics: ["retried"]).isEmpty)
        #expect(counters.outcomes("t", help: "h").contains("t{name=\"tasks.add\",state=\"failed\"} 2\n"))
    }

    @Test func labelValuesAreEscaped() {
        #expect(TaskStatsCounters.escape("a\"b\\c\nd") == "a\\\"b\\\\c\\nd")
        #expect(TaskStatsCounters.decimal(0.0016) == "0.0016" && TaskStatsCounters.decimal(1677.7216) == "1677.7216")
    }
}
