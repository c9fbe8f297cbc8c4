import CeleriacPostgres

/// Leader election as a lease row in `<schema>.leaders`: the holder renews it; when it
/// lapses (database clock), the next caller takes over. One statement, no session state,
/// so it survives connection loss and works through poolers.
public struct LeaderLease: Sendable {
    /// The schema.
    public let schema: String
    /// What is being led, e.g. `maintenance`.
    public let role: String
    /// Who asks.
    public let holder: String
    /// How long a lease lasts without renewal.
    public let duration: Duration

    public init(schema: String, role: String, holder: String, duration: Duration) {
        self.schema = schema
        self.role = role
        self.holder = holder
        self.duration = duration
    }

    /// Takes or renews the lease; true while this holder leads.
    public func acquire(on connection: Connection) throws -> Bool {
        let rows = try connection.execute(
            """
            INSERT INTO \(schema).leaders AS l (role, holder, expires_at)
            VALUES ($1, $2, now() + make_interval(secs => $3::float8))
            ON CONFLICT (role) DO UPDATE
                SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at,
                    elected_at = CASE WHEN l.holder = EXCLUDED.holder THEN l.elected_at ELSE now() END
                WHERE l.holder = EXCLUDED.holder OR l.expires_at < now()
            RETURNING holder
            """,
            [role, holder, String(duration.seconds)],
            name: "leader lease"
        )
        return rows.rowCount == 1
    }

    /// Gives the lease up at once (on shutdown), so another node takes over without waiting.
    public func release(on connection: Connection) throws {
        try connection.execute(
            "DELETE FROM \(schema).leaders WHERE role = $1 AND holder = $2", [role, holder], name: "leader release"
        )
    }
}
