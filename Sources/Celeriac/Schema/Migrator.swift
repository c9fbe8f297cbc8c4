import CeleriacPostgres
import Foundation

/// Creates and upgrades Celeriac's schema from `sql/` (embedded into the library at build time):
/// the numbered files of `sql/migrations` once each, in order, then every file of
/// `sql/repeatable` (functions, triggers, views) whose text changed since it was last applied.
///
/// Migrating is idempotent and safe to run from several processes at once: a
/// transaction-scoped advisory lock serialises migrators, everything runs in that one
/// transaction, and what was applied is recorded in `<schema>.schema_migrations` and
/// `<schema>.schema_repeatables`.
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

    /// One file of `sql/repeatable`: re-applied whenever its text changes.
    public struct Repeatable: Sendable {
        /// The file name.
        public let name: String
        /// The file's SQL.
        public let sql: String
        /// A 64-bit FNV-1a hash of the text, in hex: what `schema_repeatables` records.
        public let checksum: String
    }

    /// What one run applied.
    public struct Applied: Sendable {
        /// Migrations applied, in order.
        public var migrations: [Migration] = []
        /// Repeatable files (re)applied, in order.
        public var repeatables: [Repeatable] = []
        /// Their names, migrations first (`0009_repeatables.sql`, `repeatable/enqueue.sql`).
        public var names: [String] { migrations.map(\.name) + repeatables.map { "repeatable/\($0.name)" } }
    }

    /// The schema to migrate.
    public let schema: String
    /// Every migration this build knows, in order.
    public let migrations: [Migration]
    /// Every repeatable file this build knows, by name.
    public let repeatables: [Repeatable]
    private let sql: SchemaSQL

    /// The newest schema version this build needs.
    public var latestVersion: Int { migrations.last?.version ?? 0 }

    public init(schema: String = "celeriac") {
        self.schema = schema
        sql = SchemaSQL(schema: schema)
        migrations = EmbeddedMigrations.files.compactMap { file in
            guard let version = Int(file.name.prefix { $0.isNumber }) else { return nil }
            return Migration(version: version, name: file.name, sql: file.sql)
        }
        .sorted { $0.version < $1.version }
        repeatables = EmbeddedRepeatables.files.map { file in
            Repeatable(name: file.name, sql: file.sql, checksum: Self.checksum(file.sql))
        }
        .sorted { $0.name < $1.name }
    }

    /// Applies every migration newer than the recorded version and every changed repeatable
    /// file. Returns the migrations applied.
    @discardableResult
    public func migrate(on connection: Connection) throws -> [Migration] {
        try apply(on: connection).migrations
    }

    /// Applies every migration newer than the recorded version, then every repeatable file
    /// whose checksum differs from the one recorded, in one transaction.
    /// With `roles`, the least-privilege roles are created if missing and granted
    /// (grant_roles(), sql/repeatable/roles.sql); without, the roles granted by an earlier
    /// `migrate --roles` are granted again, so new tables and functions are covered.
    public func apply(on connection: Connection, roles: RoleNames? = nil) throws -> Applied {
        try roles?.validate()
        guard SQLText.isSafeIdentifier(schema) else {
            throw ConfigurationError("invalid schema name '\(schema)'")
        }
        return try connection.transaction { connection in
            try connection.run(SQL.SchemaMigrations.Lock(schema: schema), in: sql)
            // The one statement that cannot live in sql/: it names the schema as an identifier
            // (validated above), not as a qualifier.
            try connection.execute("CREATE SCHEMA IF NOT EXISTS \(schema)", name: "create schema")
            try connection.run(SQL.SchemaMigrations.CreateTable(), in: sql)
            let current = try currentVersion(on: connection)
            var applied = Applied()
            try connection.execute("SET LOCAL search_path TO \(schema)", name: "search_path")
            for migration in migrations where migration.version > current {
                try script(migration.sql, name: "migration \(migration.name)", on: connection)
                try connection.run(SQL.SchemaMigrations.Record(version: migration.version, name: migration.name), in: sql)
                applied.migrations.append(migration)
            }
            let recorded = try recordedChecksums(on: connection)
            for repeatable in repeatables where recorded[repeatable.name] != repeatable.checksum {
                try script(repeatable.sql, name: "repeatable \(repeatable.name)", on: connection)
                try connection.run(SQL.SchemaRepeatables.Record(name: repeatable.name, checksum: repeatable.checksum), in: sql)
                applied.repeatables.append(repeatable)
            }
            if let granted = try roles
                ?? connection.row(SQL.Settings.Roles(), in: sql).map({
                    RoleNames(producer: $0.producer, worker: $0.worker, monitor: $0.monitor, admin: $0.admin)
                })
            {
                try connection.run(
                    SQL.Settings.GrantRoles(
                        producer: granted.producer, worker: granted.worker, monitor: granted.monitor, admin: granted.admin),
                    in: sql)
            }
            return applied
        }
    }

    /// The version recorded in the database (0 when the schema has never been migrated).
    public func currentVersion(on connection: Connection) throws -> Int {
        let table = SQL.SchemaMigrations.Exists(table: "\(schema).schema_migrations")
        guard try connection.row(table, in: sql)?.exists == true else { return 0 }
        return try connection.row(SQL.SchemaMigrations.CurrentVersion(), in: sql)?.version ?? 0
    }

    /// Throws ``SchemaError`` unless the database is at exactly the version this build needs,
    /// with this build's repeatable files applied.
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
        let recorded = try recordedChecksums(on: connection)
        let stale = repeatables.filter { recorded[$0.name] != $0.checksum }.map(\.name)
        if !stale.isEmpty {
            throw SchemaError(
                message: "schema '\(schema)' has other versions of \(stale.joined(separator: ", ")) than this build: run `celeriac migrate`"
            )
        }
    }

    private func recordedChecksums(on connection: Connection) throws -> [String: String] {
        let rows = try connection.rows(SQL.SchemaRepeatables.Applied(), in: sql)
        return Dictionary(rows.map { ($0.name, $0.checksum) }, uniquingKeysWith: { first, _ in first })
    }

    private func script(_ text: String, name: String, on connection: Connection) throws {
        do {
            try connection.executeScript(text, name: name)
        } catch var error as PostgresError {
            error.queryName = name
            throw error
        }
    }

    /// 64-bit FNV-1a of the UTF-8 text, as 16 hex digits: enough to notice an edit.
    static func checksum(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

/// The database schema does not match this build.
public struct SchemaError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { message }
}
