import Foundation

/// Whose budget a limited task spends: every task of the limit's name shares one, or the tasks
/// with the same value of an argument share one (each customer its own), or a fixed key shared
/// by several task types (one external API).
public enum LimitKey: Sendable, Hashable {
    /// One budget for the task's name.
    case task
    /// One budget per value of the positional argument at this index (0 for the first).
    case argument(Int)
    /// One budget per value of this keyword argument.
    case keyword(String)
    /// One budget under this key, for whichever tasks name it.
    case fixed(String)

    /// How `task_types.rate_key` writes it (limit_key() in repeatable/limits.sql derives the
    /// key from it): nil for the task's name.
    var spec: String? {
        switch self {
        case .task: nil
        case .argument(let index): "argument:\(index)"
        case .keyword(let name): "keyword:" + name
        case .fixed(let key): "fixed:" + key
        }
    }

    /// The key for one call: the task's name, `name:value` with the argument's JSON, or the
    /// fixed key. A call without the argument shares the name's budget.
    func key(task name: String, args: String, kwargs: String) -> String {
        func value(_ json: String, _ pick: (JSONValue) -> JSONValue?) -> String? {
            guard let parsed = try? JSONValue(json: json), let picked = pick(parsed) else { return nil }
            return try? JSONCoding.encode(picked)
        }
        switch self {
        case .task: return name
        case .fixed(let key): return key
        case .argument(let index):
            let found = value(args) { if case .array(let items) = $0, items.indices.contains(index) { items[index] } else { nil } }
            return found.map { name + ":" + $0 } ?? name
        case .keyword(let keyword):
            let found = value(kwargs) { if case .object(let fields) = $0 { fields[keyword] } else { nil } }
            return found.map { name + ":" + $0 } ?? name
        }
    }
}

/// How often a task may start, across the whole fleet (Celery's `rate_limit`, which holds
/// per worker only): `RateLimit("10/m")`. Starts are spaced evenly (six seconds apart here),
/// whichever worker claims them; a task that must wait is moved to its moment and does not
/// hold back the tasks behind it in its queue. Decided in the claim (migration 0028). A
/// task's own limit (``TaskOptions/rateLimit``) is registered by its workers in `task_types`
/// (0029), as Celery's is a task attribute; a call's (``CallOptions/rateLimit``) travels in
/// its row and wins.
public struct RateLimit: Sendable, Hashable {
    /// The rate as written: "10/s", "10/m", "10/h", or a number per second.
    public let rate: String
    /// Whose budget a call spends.
    public var key: LimitKey

    /// - Throws: ``EnqueueError`` for a rate that is not `N/s`, `N/m`, `N/h` or `N` with N > 0.
    public init(_ rate: String, per key: LimitKey = .task) throws {
        let pattern = #/^\s*([0-9]+(\.[0-9]+)?)\s*(/\s*[smh]\s*)?$/#
        guard let match = rate.wholeMatch(of: pattern), let count = Double(match.1), count > 0 else {
            throw EnqueueError("a rate limit is written N/s, N/m or N/h with N above zero (Celery's spelling), got \"\(rate)\"")
        }
        self.rate = rate.trimmingCharacters(in: .whitespaces)
        self.key = key
    }

    /// `n` starts a second, a minute or an hour (n above zero; anything less is taken as the
    /// smallest rate written with three decimals).
    public static func perSecond(_ n: Double, per key: LimitKey = .task) -> RateLimit { RateLimit(n, "s", key) }
    public static func perMinute(_ n: Double, per key: LimitKey = .task) -> RateLimit { RateLimit(n, "m", key) }
    public static func perHour(_ n: Double, per key: LimitKey = .task) -> RateLimit { RateLimit(n, "h", key) }

    private init(_ n: Double, _ unit: String, _ key: LimitKey) {
        let count = n.isFinite && n >= 0.001 ? n : 0.001
        rate = (count.rounded() == count ? String(Int(count)) : String(format: "%.3f", count)) + "/" + unit
        self.key = key
    }

    /// Seconds between two starts.
    public var interval: Double {
        let unit: Double = rate.hasSuffix("m") ? 60 : rate.hasSuffix("h") ? 3_600 : 1
        let count = Double(rate.prefix { $0.isNumber || $0 == "." }) ?? 1
        return unit / count
    }
}

/// How many tasks may run at once across the whole fleet, for a task or per key: at most 2
/// running per customer is `ConcurrencyLimit(2, per: .argument(0))`. Checked in the claim
/// against the started tasks of the key (migration 0028); a task over the limit waits in its
/// queue, tried again each second, without holding back the tasks behind it.
public struct ConcurrencyLimit: Sendable, Hashable {
    /// At most this many running at once (at least 1).
    public let maximum: Int
    /// Whose count a call joins.
    public var key: LimitKey

    public init(_ maximum: Int, per key: LimitKey = .task) throws {
        guard maximum >= 1 else { throw EnqueueError("a concurrency limit must allow at least one task, got \(maximum)") }
        self.maximum = maximum
        self.key = key
    }
}
