import Foundation

/// Memory and CPU of processes, read from `/proc` (Linux).
enum ProcessStats {
    /// Resident set size now, and its peak (VmHWM), in MiB.
    static func memory(pid: Int32) -> (rss: Double, peak: Double)? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        func field(_ name: String) -> Double? {
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return nil }
            let digits = line.split(separator: " ").dropFirst().first { Double($0) != nil }
            return digits.flatMap { Double($0) }.map { $0 / 1024 }
        }
        guard let rss = field("VmRSS"), let peak = field("VmHWM") else { return nil }
        return (rss, peak)
    }

    /// User + system CPU seconds a process has used.
    static func cpuSeconds(pid: Int32) -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        // Fields after the command name: state is field 3; utime and stime are 14 and 15.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        return (user + system) / ticks
    }

    /// CPU seconds of every local `postgres` process (server and backends), or nil when
    /// the server is not on this machine.
    static func postgresCPUSeconds() -> Double? {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return nil }
        var total = 0.0
        var found = false
        for entry in entries {
            guard let pid = Int32(entry),
                let name = try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8),
                name.trimmingCharacters(in: .whitespacesAndNewlines) == "postgres" || name.hasPrefix("postgres")
            else { continue }
            if let seconds = cpuSeconds(pid: pid) {
                total += seconds
                found = true
            }
        }
        return found ? total : nil
    }
}

/// Percentiles of a sample.
struct Percentiles {
    let sorted: [Double]

    init(_ values: [Double]) { sorted = values.sorted() }

    /// The value below which `p` percent of the sample falls (nearest rank).
    func value(_ p: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1
        return sorted[Swift.min(Swift.max(rank, 0), sorted.count - 1)]
    }

    var max: Double { sorted.last ?? .nan }

    /// The middle value, or the mean of the two middle values of an even count.
    var median: Double {
        guard !sorted.isEmpty else { return .nan }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}
