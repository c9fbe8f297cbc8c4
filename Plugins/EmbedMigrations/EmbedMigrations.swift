import Foundation
import PackagePlugin

/// Embeds `sql/migrations/*.sql` into the `Celeriac` module as Swift string constants.
///
/// The SQL files stay the single source of truth; every executable built from the
/// package carries the exact migrations it was built with, so `celeriac migrate`
/// needs no files at run time.
@main
struct EmbedMigrations: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) async throws -> [Command] {
        let directory = context.package.directoryURL.appending(path: "sql").appending(path: "migrations")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".sql") }
            .sorted()
        let inputs = names.map { directory.appending(path: $0) }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedMigrations.swift")
        let tool = try context.tool(named: "EmbedMigrationsTool")
        return [
            .buildCommand(
                displayName: "Embedding \(inputs.count) SQL migrations",
                executable: tool.url,
                arguments: [output.path] + inputs.map(\.path),
                inputFiles: inputs + [directory],
                outputFiles: [output]
            )
        ]
    }
}
