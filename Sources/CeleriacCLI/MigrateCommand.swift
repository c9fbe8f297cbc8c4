import ArgumentParser
import Celeriac

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Create or upgrade the schema (idempotent; safe to run concurrently)."
    )

    @OptionGroup var common: CommonOptions

    func run() async throws {
        let app = try common.makeApp()
        defer { app.shutdown() }
        let applied = try await app.migrate()
        let schema = app.conf.schema
        if applied.isEmpty {
            print("Schema \(schema) is up to date (version \(Migrator(schema: schema).latestVersion)).")
        } else {
            for name in applied { print("Applied \(name) to schema \(schema).") }
        }
    }
}
