import ArgumentParser
import Celeriac
import CeleriacCLI
import CeleriacPostgres
import Foundation

/// `celeriac bench`: throughput, latency and memory of Celeriac next to the raw-SQL
/// ceiling of the same database, measured in the same run.
public struct BenchCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure enqueue, drain, latency and memory against the raw-SQL ceiling.",
        discussion: """
            Works in its own schema (default celeriac_bench), dropped and recreated first. \
            Prints a table, writes JSON to --json and to bench/results/ for comparison with the last run.
            """
    )

    @OptionGroup var common: CommonOptions

    @Option(name: .long, help: "Also write the figures as JSON to this file.")
    var json: String?

    @Option(name: .long, help: "Directory keeping every run's figures.")
    var resultsDirectory: String = "bench/results"

    @Option(name: .long, help: "No-op tasks per drain measurement.")
    var drainTasks: Int = 100_000

    @Flag(name: .long, help: "Smaller counts (a quick look, not for the record).")
    var quick = false

    @Option(
        name: .long,
        help: "Only these parts, comma-separated: raw, enqueue, drain, depth, events, durability, sleep, latency, history, views.")
    var only: String?

    @Flag(
        name: .long,
        help: "Leave the views part's tasks in the bench schema, to try the dashboard on them: celeriac monitor --schema celeriac_bench."
    )
    var keepViewsData = false

    @Flag(name: .long, help: "A long run under steady load with pruning on, reported every --every seconds (make soak).")
    var soak = false

    @Option(name: .long, help: "Soak: minutes to run.")
    var minutes: Double = 20

    @Option(name: .long, help: "Soak: tasks per second, or 0 for as fast as the workers drain.")
    var rate: Int = 2_000

    @Option(name: .long, help: "Soak: seconds between reports.")
    var every: Int = 60

    @Option(name: .long, help: "Soak: result_expires in seconds.")
    var resultExpires: Int = 60

    @Option(name: .long, help: "Soak: hold a transaction open this many seconds (holding back vacuum), from --hold-at.")
    var holdTransaction: Int?

    @Option(name: .long, help: "Soak: seconds into the run when the held transaction starts.")
    var holdAt: Int = 120

    @Option(name: .long, help: "Soak: worker processes and the concurrency of each, as WxC.")
    var soakWorkers: String = "2x64"

    @Option(name: .long, help: "Drain configurations as WxC, comma-separated (default 1x1,2x1,1x16,2x16,1x128,2x128).")
    var drains: String?

    @Option(name: .long, help: "Depth: only these cases, comma-separated: deep, spread, ten_queues, with_scheduled.")
    var depthCases: String?

    @Option(name: .long, help: "Depth: rounds of each case (the figure is the median ratio).")
    var depthRounds: Int?

    public init() {}

    public func run() async throws {
        var options = common
        if options.schema == nil { options.schema = "celeriac_bench" }
        let app = try options.makeApp()
        defer { app.shutdown() }
        let url = try DatabaseURL(app.conf.databaseURL)
        if soak { return try await runSoak(app: app, url: url) }
        var settings = Benchmark.Settings()
        settings.drainTasks = drainTasks
        settings.keepViewsData = keepViewsData
        if let only { settings.only = Set(only.split(separator: ",").map(String.init)) }
        if let depthCases {
            let known: Set = ["deep", "spread", "ten_queues", "with_scheduled"]
            let cases = Set(depthCases.split(separator: ",").map(String.init))
            guard cases.isSubset(of: known) else {
                throw ValidationError("--depth-cases takes \(known.sorted().joined(separator: ", ")); got '\(depthCases)'")
            }
            settings.depthCases = cases
        }
        if let depthRounds {
            guard depthRounds >= 1 else { throw ValidationError("--depth-rounds must be 1 or more; got \(depthRounds)") }
            settings.depthRounds = depthRounds
        }
        if let drains {
            settings.drainConfigurations = try drains.split(separator: ",").map { text in
                let parts = text.split(separator: "x").compactMap { Int($0) }
                guard parts.count == 2, parts[0] >= 1, parts[1] >= 1 else {
                    throw ValidationError("--drains takes WxC pairs such as 1x16,2x128; got '\(text)'")
                }
                return (parts[0], parts[1])
            }
        }
        if quick {
            settings.drainTasks = min(drainTasks, 20_000)
            settings.singleDrainTasks = 3_000
            settings.historyRows = 200_000
            settings.eventsDrainTasks = 10_000
            settings.viewsWaitingTasks = 20_000
            settings.depthShallowTasks = 20_000
            settings.depthDeepTasks = 200_000
            settings.depthRounds = 1
            settings.limitDrainTasks = 10_000
            settings.latencyProbes = 200
        }
        var benchmark = Benchmark(app: app, url: url, settings: settings)
        try await benchmark.run()
        let report = benchmark.report
        print(report.table)

        var figures = report.json
        figures["date"] = ISO8601DateFormatter().string(from: Date())
        figures["quick"] = quick
        let data = try JSONSerialization.data(withJSONObject: figures, options: [.prettyPrinted, .sortedKeys])
        if let json { try data.write(to: URL(fileURLWithPath: json)) }
        try keep(data, figures: figures)
    }

    private func runSoak(app: CeleriacApp, url: DatabaseURL) async throws {
        let pair = soakWorkers.split(separator: "x").compactMap { Int($0) }
        guard pair.count == 2, pair[0] >= 1, pair[1] >= 1 else {
            throw ValidationError("--soak-workers takes WxC, such as 2x64; got '\(soakWorkers)'")
        }
        guard minutes > 0, every >= 1, rate >= 0, resultExpires >= 1 else {
            throw ValidationError("--minutes, --every and --result-expires must be positive, --rate 0 or more")
        }
        var settings = Soak.Settings()
        settings.minutes = minutes
        settings.every = .seconds(every)
        settings.rate = rate
        settings.resultExpires = resultExpires
        settings.workers = pair[0]
        settings.concurrency = pair[1]
        settings.warmUp = .seconds(min(120, minutes * 60 / 4))
        settings.holdTransaction = holdTransaction.map { .seconds($0) }
        settings.holdAt = .seconds(holdAt)
        var figures = try await Soak(app: app, url: url, settings: settings).run()
        figures["date"] = ISO8601DateFormatter().string(from: Date())
        let data = try JSONSerialization.data(withJSONObject: figures, options: [.prettyPrinted, .sortedKeys])
        if let json { try data.write(to: URL(fileURLWithPath: json)) }
        let directory = URL(fileURLWithPath: resultsDirectory).appending(path: "soak")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
        let file = directory.appending(path: "\(stamp).json")
        try data.write(to: file)
        print("figures written to \(file.path)")
    }

    /// Writes the run to the results directory and prints the change since the last one.
    private func keep(_ data: Data, figures: [String: Any]) throws {
        let directory = URL(fileURLWithPath: resultsDirectory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let previous = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".json") }.sorted().last
        let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
        let file = directory.appending(path: "\(stamp).json")
        try data.write(to: file)
        print("figures written to \(file.path)")
        guard let previous,
            let old = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appending(path: previous))) as? [String: Any]
        else { return }
        print("compared with \(previous):")
        for key in [
            "drain_ratio", "bulk_enqueue_ratio", "single_enqueue_ratio", "pickup_idle_p50_ms", "pickup_idle_p99_ms",
            "pickup_loaded_p99_ms", "history_claim_ratio", "events_drain_ratio", "views_slowest_ms", "worker_peak_rss_mib",
            "drain_best_per_s",
        ] {
            guard let now = figures[key] as? Double, let before = (old[key] as? NSNumber)?.doubleValue else { continue }
            print("  \(key.padding(toLength: 24, withPad: " ", startingAt: 0)) \(before) -> \(now)")
        }
    }
}

/// The benchmark's commands, for the `celeriac` executable.
public enum BenchCommands {
    /// `bench` and the hidden `bench-worker`.
    public static let all: [ParsableCommand.Type] = [BenchCommand.self, BenchWorkerCommand.self]
}
