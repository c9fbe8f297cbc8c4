import Foundation

/// Counters that only grow, for Prometheus, made from `task_stats`: rows of (minute, queue,
/// name, worker, metric, bucket) whose counts grow while their minute lasts. Each scrape reads
/// the last few minutes' rows; what a row gained since it was last seen is added to the
/// totals. Rows of minutes that have passed stop changing (workers add to the current minute),
/// so forgetting them later loses nothing.
///
/// The totals start at the dashboard's first scrape with what the look-back holds, as any
/// Prometheus counter starts at a process's start.
struct TaskStatsCounters: Sendable {
    struct Row: Hashable, Sendable {
        var minute: Double
        var queue: String
        var name: String
        var worker: String
        var metric: String
        var bucket: Int
    }

    /// Totals per task name and metric: outcomes (`succeeded`, `failed`, `retried`,
    /// `revoked`) and `wait`, each by bucket.
    struct Totals: Sendable, Equatable {
        var buckets = [Int](repeating: 0, count: 64)
        var count: Int { buckets.reduce(0, +) }
        /// The sum of the durations, each counted at its bucket's middle (as stats_bucket_seconds()).
        var sum: Double {
            buckets.indices.reduce(0) { $0 + Double(buckets[$1]) * TaskStatsCounters.seconds(bucket: $1) }
        }
    }

    /// How far back each scrape reads, in minutes.
    static let lookBack = 5

    private var seen: [Row: Int] = [:]
    private(set) var totals: [String: [String: Totals]] = [:]

    /// Adds what `rows` (the look-back's rows, as read now) gained since the last call, and
    /// forgets rows older than the look-back.
    mutating func update(_ rows: [(Row, Int)], now: Date) {
        for (row, count) in rows {
            // Two scrapes may read concurrently and apply out of order: a count seen once is
            // never taken back.
            let gained = count - (seen[row] ?? 0)
            guard gained > 0, (0..<64).contains(row.bucket) else { continue }
            seen[row] = count
            totals[row.name, default: [:]][row.metric, default: Totals()].buckets[row.bucket] += gained
        }
        let oldest = now.timeIntervalSince1970 - Double(Self.lookBack + 1) * 60
        seen = seen.filter { $0.key.minute >= oldest }
    }

    /// The duration a bucket stands for: its geometric middle, as stats_bucket_seconds().
    static func seconds(bucket: Int) -> Double {
        bucket <= 0 ? 0.00005 : 0.0001 * pow(2, (Double(bucket) - 0.5) / 2)
    }

    /// The upper bound of bucket `bucket`: durations up to it fall in it or below.
    static func upperBound(bucket: Int) -> Double { 0.0001 * pow(2, Double(bucket) / 2) }

    /// The `le` bounds a histogram shows: every fourth bucket's upper bound (100 µs × 4ⁿ, up
    /// to about 30 hours), then +Inf.
    static let shownBuckets = Array(stride(from: 0, through: 60, by: 4))

    /// A histogram in Prometheus's text format of `metrics` together, for every task name
    /// that has counts for them, or nothing if none has.
    func histogram(_ family: String, help: String, metrics: [String]) -> String {
        func merged(_ name: String) -> Totals? {
            let parts = metrics.compactMap { totals[name]?[$0] }
            guard !parts.isEmpty else { return nil }
            var all = Totals()
            for part in parts { for index in all.buckets.indices { all.buckets[index] += part.buckets[index] } }
            return all
        }
        let names = totals.keys.sorted().filter { merged($0) != nil }
        guard !names.isEmpty else { return "" }
        var text = "# HELP \(family) \(help)\n# TYPE \(family) histogram\n"
        for name in names {
            guard let series = merged(name) else { continue }
            let label = "name=\"\(Self.escape(name))\""
            var cumulative = 0
            var bucket = 0
            for bound in Self.shownBuckets {
                while bucket <= bound {
                    cumulative += series.buckets[bucket]
                    bucket += 1
                }
                text += "\(family)_bucket{\(label),le=\"\(Self.decimal(Self.upperBound(bucket: bound)))\"} \(cumulative)\n"
            }
            text += "\(family)_bucket{\(label),le=\"+Inf\"} \(series.count)\n"
            text += "\(family)_sum{\(label)} \(Self.decimal(series.sum))\n"
            text += "\(family)_count{\(label)} \(series.count)\n"
        }
        return text
    }

    /// A counter family of every name's outcomes, labelled by state.
    func outcomes(_ family: String, help: String) -> String {
        var text = "# HELP \(family) \(help)\n# TYPE \(family) counter\n"
        for name in totals.keys.sorted() {
            for state in ["succeeded", "failed", "retried", "revoked"] {
                guard let series = totals[name]?[state] else { continue }
                text += "\(family){name=\"\(Self.escape(name))\",state=\"\(state)\"} \(series.count)\n"
            }
        }
        return text
    }

    /// A label value with `\`, `"` and newlines escaped, as the text format asks.
    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    static func decimal(_ value: Double) -> String {
        var text = String(format: "%.9f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }
}
