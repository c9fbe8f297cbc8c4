import CeleriacPostgres

/// Leader election as a lease row in `<schema>.leaders` (`leaders.acquire`/`release` in
/// sql/queries/leaders.sql): the holder renews it; when it lapses (database clock), the next
/// caller takes over. One statement, no session state, so it survives connection loss and
/// works through poolers.
package struct LeaderLease: Sendable {
    /// The schema's statements.
    package let sql: SchemaSQL
    /// What is being led, e.g. `maintenance`.
    package let role: String
    /// Who asks.
    package let holder: String
    /// How long a lease lasts without renewal.
    package let duration: Duration

    package init(sql: SchemaSQL, role: String, holder: String, duration: Duration) {
        self.sql = sql
        self.role = role
        self.holder = holder
        self.duration = duration
    }

    /// Takes or renews the lease; true while this holder leads.
    package func acquire(on connection: Connection) throws -> Bool {
        let statement = SQL.Leaders.Acquire(role: role, holder: holder, durationSeconds: duration.seconds)
        return try connection.row(statement, in: sql) != nil
    }

    /// Gives the lease up at once (on shutdown), so another node takes over without waiting.
    package func release(on connection: Connection) throws {
        try connection.run(SQL.Leaders.Release(role: role, holder: holder), in: sql)
    }
}
