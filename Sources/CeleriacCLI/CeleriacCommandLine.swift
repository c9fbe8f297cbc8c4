import ArgumentParser
import Celeriac
import CeleriacPostgres
import Foundation
import Synchronization

/// The command set any executable can host with one line:
///
/// ```swift
/// // main.swift of your app
/// await CeleriacCommandLine.main(app: app)
/// // swift run myapp worker --loglevel INFO -c 2 -Q celery,emails
/// ```
///
/// Commands: `worker` (needs the app's tasks), `beat`, `schedule`, `migrate`, `call`, `result`, `purge`, `sql`.
/// Every command takes the database from `--database` or `CELERIAC_DATABASE_URL`.
public enum CeleriacCommandLine {
    private static let hosted = Mutex<CeleriacApp?>(nil)
    private static let extras = Mutex<[ParsableCommand.Type]>([])

    /// Parses `CommandLine.arguments` and runs the chosen command, then exits.
    /// - Parameters:
    ///   - app: the app whose tasks `worker` runs; nil in the standalone `celeriac` tool.
    ///   - commands: extra subcommands of your own (e.g. a script run by `make demo`).
    public static func main(app: CeleriacApp?, commands: [ParsableCommand.Type] = []) async {
        // Line-buffer stdout so task output and script results interleave with the log
        // when stdout is a pipe or a file.
        StandardOutput.useLineBuffering()
        hosted.withLock { $0 = app }
        extras.withLock { $0 = commands }
        await RootCommand.main()
    }

    /// The hosted app, if any.
    static var app: CeleriacApp? { hosted.withLock { $0 } }

    static var extraCommands: [ParsableCommand.Type] { extras.withLock { $0 } }
}

struct RootCommand: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        let executable = CommandLine.arguments.first.map { URL(fileURLWithPath: $0).lastPathComponent } ?? "celeriac"
        return CommandConfiguration(
            commandName: executable,
            abstract: "Celeriac: a distributed task queue on PostgreSQL.",
            version: CeleriacVersion.string,
            subcommands: [
                WorkerCommand.self, BeatCommand.self, ScheduleCommand.self, MigrateCommand.self, CallCommand.self,
                ResultCommand.self, PurgeCommand.self, RevokeCommand.self, RetryCommand.self, QueuesCommand.self, QueueCommand.self,
                StatusCommand.self, InspectCommand.self, ControlCommand.self, EventsCommand.self, MonitorCommand.self, SQLCommand.self,
                ConfigCommand.self, DoctorCommand.self, PoolChildCommand.self,
            ] + CeleriacCommandLine.extraCommands
        )
    }
}
