import CeleriacPostgres
import Foundation

/// Creates and upgrades Celeriac's schema from the numbered files in `sql/migrations`
/// (embedded into the library at build time).
///
/// Migrating is idempotent and safe to run from several processes at once: a
/// transaction-scoped advisory lock serialises migrators, each file runs in that one
/// transaction, and applied versions are recorded in `<schema>.schema_migrations`.
///
/// ```swift
/// let applied = try Migrator(schema: "celeriac").migrate(on: connection)
/// ```
public struct Migrator: Sendable {
    /// One numbered SQL file.
    public struct Migration: Sendable {
        /// The number in front of the file name, e.g. 1 for `0001_core.sql`.
        public let version: Int
        /// The file name.
        public let name: String
        /// The file's SQL.
        public let sql: String
    }

    /// The schema to migrate.
    public let schema: String
    /// Every migration this build knows, in order.
    public let migrations: [Migration]

    /// The newest schema version this build needs.
    public var latestVersion: Int { migrations.last?.version ?? 0 }

    public init(schema: String = "celeriac") {
        self.schema = schema
        migrations = EmbeddedMigrations.files.compactMap { file in
            guard let version = Int(file.name.prefix { $0.isNumber }) else { return nil }
            return Migration(version: version, name: file.name, sql: file.sql)
        }
        .sorted { $0.version < $1.version }
    }

    /// Applies every migration newer than the recorded version. Returns the ones applied.
    public func migrate(on connection: Connection) throws -> [Migration] {
        guard SQLText.isSafeIdentifier(schema) else {
            throw ConfigurationError("invalid schema name '\(schema)'")
        }
        return try connection.transaction { connection in
            // Serialise concurrent migrators of this schema until commit.
            try connection.execute(
                "SELECT pg_advisory_xact_lock(7010, hashtext($1))",
                [schema],
                name: "migration lock"
            )
            try connection.execute("CREATE SCHEMA IF NOT EXISTS \(schema)", name: "create schema")
            try connection.execute(
                """
                CREATE TABLE IF NOT EXISTS \(schema).schema_migrations (
                    version    integer PRIMARY KEY,
                    name       text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """,
                name: "create schema_migrations"
            )
            let current = try currentVersion(on: connection)
            var applied: [Migration] = []
            try connection.execute("SET LOCAL search_path TO \(schema)", name: "search_path")
            for migration in migrations where migration.version > current {
                do {
                    try connection.executeScript(migration.sql, name: migration.name)
                } catch var error as PostgresError {
                    error.queryName = "migration \(migration.name)"
                    throw error
                }
                try connection.execute(
                    "INSERT INTO \(schema).schema_migrations (version, name) VALUES ($1, $2)",
                    [String(migration.version), migration.name],
                    name: "record migration"
                )
                applied.append(migration)
            }
            return applied
        }
    }

    /// The version recorded in the database (0 when the schema has never been migrated).
    public func currentVersion(on connection: Connection) throws -> Int {
        let exists = try connection.execute(
            "SELECT to_regclass($1) IS NOT NULL",
            ["\(schema).schema_migrations"],
            name: "schema version"
        )
        guard exists.bool(0, 0) == true else { return 0 }
        let result = try connection.execute(
            "SELECT coalesce(max(version), 0) FROM \(schema).schema_migrations",
            name: "schema version"
        )
        return result.int(0, 0) ?? 0
    }

    /// Throws ``SchemaError`` unless the database is at exactly the version this build needs.
    public func verify(on connection: Connection) throws {
        let current = try currentVersion(on: connection)
        if current < latestVersion {
            throw SchemaError(
                message: current == 0
                    ? "schema '\(schema)' has not been created: run `celeriac migrate` first"
                    : "schema '\(schema)' is at version \(current) but this build needs \(latestVersion): run `celeriac migrate` first"
            )
        }
        if current > latestVersion {
            throw SchemaError(
                message: "schema '\(schema)' is at version \(current), newer than this build knows (\(latestVersion)): upgrade this program"
            )
        }
    }
}

/// The database schema does not match this build.
public struct SchemaError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { message }
}
