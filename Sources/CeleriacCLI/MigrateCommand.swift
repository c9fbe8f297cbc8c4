import ArgumentParser
import Celeriac

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Create or upgrade the schema (idempotent; safe to run concurrently)."
    )

    @OptionGroup var common: CommonOptions

    @Flag(
        help: "Also create (if missing) and grant the roles <prefix>_producer, _worker, _monitor and _admin (needs CREATEROLE).")
    var roles = false

    @Option(help: "The prefix of the role names (default: the schema name).")
    var rolePrefix: String?

    func validate() throws {
        if rolePrefix != nil, !roles { throw ValidationError("--role-prefix goes with --roles") }
    }

    func run() async throws {
        let app = try common.makeApp()
        defer { app.shutdown() }
        let names = roles ? RoleNames(prefix: rolePrefix ?? app.conf.schema) : nil
        do { try names?.validate() } catch let error as ConfigurationError { throw ValidationError(error.message) }
        let applied = try await app.migrate(roles: names)
        let schema = app.conf.schema
        if let names {
            print("Roles granted on schema \(schema): \(names.producer), \(names.worker), \(names.monitor), \(names.admin).")
        }
        if applied.isEmpty {
            print("Schema \(schema) is up to date (version \(Migrator(schema: schema).latestVersion)).")
        } else {
            for name in applied { print("Applied \(name) to schema \(schema).") }
        }
    }
}
