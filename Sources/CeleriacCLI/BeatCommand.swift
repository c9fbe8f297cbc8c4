import ArgumentParser
import Celeriac

struct BeatCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "beat",
        abstract: "Enqueue periodic tasks from the schedule table (safe to run several at once).",
        discussion: """
            Every tick is enqueued exactly once however many beat processes run: a primary key on \
            (schedule, tick) decides. Schedules defined in code are written to the table at start-up.
            """
    )

    @OptionGroup var common: CommonOptions

    @Option(name: .long, help: "Longest sleep between passes, in seconds (schedule edits are also picked up at once).")
    var maxSleep: Double = 5

    @Flag(name: .long, help: "Overwrite schedule rows edited with SQL or the CLI with the code's definitions.")
    var forceSync = false

    func run() async throws {
        let app = try common.makeApp(retryFor: nil)
        defer { app.shutdown() }
        guard maxSleep > 0 else { throw ValidationError("--max-sleep must be positive") }
        try await Beat(app: app, maxSleep: .fromSeconds(maxSleep), overwriteSchedule: forceSync).run()
    }
}
