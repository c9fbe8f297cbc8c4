import ArgumentParser
import Celeriac
import CeleriacCLI
import CeleriacPostgres
import Foundation

/// `celeriac chaos`: the fault suite. Real worker processes, a real PostgreSQL, real
/// signals; prints what was lost, duplicated or overlapping, and how long recovery took.
public struct ChaosCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "chaos",
        abstract: "Run the fault suite (kill -9, SIGSTOP, database restarts, …) and print its figures.",
        discussion: "Works in its own schema (default celeriac_chaos). `make chaos` runs it against the local cluster."
    )

    @OptionGroup var common: CommonOptions

    @Option(name: .long, help: "Path of scripts/pg.sh, for the database restart and several-hosts scenarios.")
    var pgScript: String?

    @Option(name: .long, help: "Path of scripts/netns.sh, for the several-hosts scenario (needs root).")
    var netnsScript: String?

    @Option(name: .long, help: "Lease in seconds given to the suite's workers.")
    var lease: Int = 4

    @Option(name: .long, help: "Only scenarios whose name contains one of these, comma-separated.")
    var only: String?

    @Flag(name: .long, help: "Fewer tasks in the long scenarios.")
    var quick = false

    public init() {}

    public func run() async throws {
        var options = common
        if options.schema == nil { options.schema = "celeriac_chaos" }
        let app = try options.makeApp(retryFor: nil)
        defer { app.shutdown() }
        let url = try DatabaseURL(app.conf.databaseURL)
        let harness = try ChaosHarness(app: app, url: url, lease: lease)
        defer { harness.cleanUp() }
        let settings = ChaosSettings(lease: lease, pgScript: pgScript, netnsScript: netnsScript, quick: quick)
        let filters = only?.split(separator: ",").map { $0.lowercased() }
        var rows: [(String, ChaosFigures)] = []
        var failures = 0
        for scenario in ChaosScenarios.all where filters?.contains(where: { scenario.name.lowercased().contains($0) }) ?? true {
            FileHandle.standardError.write(Data("chaos: \(scenario.name)…\n".utf8))
            try await harness.reset()
            let figures = try await scenario.run(harness, settings)
            if figures.lost > 0 || figures.overlap > 0 { failures += 1 }
            rows.append((scenario.name, figures))
        }
        try await harness.execute("DROP SCHEMA IF EXISTS \(app.conf.schema) CASCADE")
        print(Self.table(rows))
        if failures > 0 { throw ExitCode(1) }
    }

    static func table(_ rows: [(String, ChaosFigures)]) -> String {
        func cell(_ text: String, _ width: Int) -> String { text.padding(toLength: width, withPad: " ", startingAt: 0) }
        var lines = [
            cell("scenario", 46) + cell("tasks", 7) + cell("lost", 6) + cell("twice", 7) + cell("overlap", 9)
                + cell("ok", 7) + cell("lost-w", 8) + cell("reruns", 8) + cell("recovery", 10) + "note",
            String(repeating: "-", count: 126),
        ]
        for (name, figures) in rows {
            let recovery = figures.recoverySeconds.map { String(format: "%.1f s", $0) } ?? "-"
            lines.append(
                cell(name, 46) + cell(String(figures.tasks), 7) + cell(String(figures.lost), 6)
                    + cell(String(figures.duplicateEffects), 7) + cell(String(figures.overlap), 9)
                    + cell(String(figures.succeeded), 7) + cell(String(figures.workerLost), 8)
                    + cell(String(figures.reruns), 8) + cell(recovery, 10) + figures.note
            )
        }
        for (name, reason) in ChaosScenarios.notRun {
            lines.append(cell(name, 48) + "not run: \(reason)")
        }
        lines.append("")
        lines.append("lost: tasks with no final state (target 0); overlap: two runs of one task committing effects at the same time")
        lines.append("(target 0); twice: effects committed by two runs one after the other (expected with acks_late when a worker")
        lines.append("dies between its effect and its result); ok: succeeded; lost-w: failed with WorkerLostError; reruns: tasks run")
        lines.append("more than once. Figures come from the suite's task, which commits its effect with a write fenced by its lease.")
        return lines.joined(separator: "\n")
    }
}

/// The fault suite's commands, for the `celeriac` executable.
public enum ChaosCommands {
    /// `chaos` and the hidden `chaos-worker`.
    public static let all: [ParsableCommand.Type] = [ChaosCommand.self, ChaosWorkerCommand.self]
}
