import Foundation
import PackagePlugin

/// Embeds the package's `sql/` tree (migrations, repeatables, named queries) as generated Swift.
@main
struct EmbedSQL: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) async throws -> [Command] {
        let root = context.package.directoryURL.appending(path: "sql")
        var directories: [URL] = []
        var files: [URL] = []
        for subdirectory in ["migrations", "repeatable", "queries"] {
            let directory = root.appending(path: subdirectory)
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path(percentEncoded: false)) else {
                continue
            }
            directories.append(directory)
            files += names.filter { $0.hasSuffix(".sql") }.sorted().map { directory.appending(path: $0) }
        }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedSQL.swift")
        let tool = try context.tool(named: "EmbedSQLTool")
        return [
            .buildCommand(
                displayName: "Embedding SQL catalogue (\(files.count) files)",
                executable: tool.url,
                arguments: [output.path(percentEncoded: false), root.path(percentEncoded: false)],
                inputFiles: files + directories,
                outputFiles: [output])
        ]
    }
}
