import CeleriacPostgres
import Foundation

/// Reads and writes `<schema>.periodic_tasks`: what `celeriac schedule` and the start-up
/// sync of ``Configuration/beatSchedule`` use. All methods run on a connection the caller
/// owns (on its own thread).
public struct ScheduleStore: Sendable {
    /// The schema.
    public let schema: String

    public init(schema: String) {
        self.schema = schema
    }

    /// One row of the schedule, as `schedule list` shows it.
    public struct Entry: Sendable {
        public var name: String
        public var task: String
        public var schedule: String
        public var timeZone: String
        public var enabled: Bool
        public var misfirePolicy: String
        public var lastRunAt: String?
        public var nextRunAt: String?
        public var totalRunCount: Int
        public var source: String
        public var lastError: String?
    }

    /// Writes code-defined schedules. Rows edited by SQL or the CLI since are kept as they
    /// are unless `overwrite` is set. Returns how many rows were written.
    @discardableResult
    public func sync(_ definitions: [PeriodicTask], overwrite: Bool = false, on connection: Connection) throws -> Int {
        for definition in definitions { try definition.validate() }
        return try connection.transaction { connection in
            try connection.execute("SET LOCAL celeriac.sync = 'on'")
            var written = 0
            for definition in definitions {
                let rows = try connection.execute(
                    """
                    INSERT INTO \(schema).periodic_tasks AS p
                        (name, task, args, kwargs, queue, priority, cron, interval_seconds, time_zone, enabled,
                         misfire_policy, source)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'code')
                    ON CONFLICT (name) DO UPDATE SET
                        task = EXCLUDED.task, args = EXCLUDED.args, kwargs = EXCLUDED.kwargs, queue = EXCLUDED.queue,
                        priority = EXCLUDED.priority, cron = EXCLUDED.cron, interval_seconds = EXCLUDED.interval_seconds,
                        time_zone = EXCLUDED.time_zone, enabled = EXCLUDED.enabled,
                        misfire_policy = EXCLUDED.misfire_policy, source = 'code', last_error = NULL
                    WHERE (p.source = 'code' OR $12::boolean)
                      AND (p.task, p.args, p.kwargs, p.queue, p.priority, p.cron, p.interval_seconds, p.time_zone,
                           p.enabled, p.misfire_policy, p.source)
                          IS DISTINCT FROM
                          (EXCLUDED.task, EXCLUDED.args, EXCLUDED.kwargs, EXCLUDED.queue, EXCLUDED.priority, EXCLUDED.cron,
                           EXCLUDED.interval_seconds, EXCLUDED.time_zone, EXCLUDED.enabled, EXCLUDED.misfire_policy, 'code')
                    """,
                    Self.parameters(definition) + [overwrite ? "true" : "false"],
                    name: "sync schedule"
                )
                written += rows.affectedRows
            }
            return written
        }
    }

    /// Adds a schedule (from the CLI); fails if the name exists.
    public func add(_ definition: PeriodicTask, on connection: Connection) throws {
        try definition.validate()
        do {
            try connection.execute(
                """
                INSERT INTO \(schema).periodic_tasks
                    (name, task, args, kwargs, queue, priority, cron, interval_seconds, time_zone, enabled, misfire_policy, source)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'cli')
                """,
                Self.parameters(definition),
                name: "add schedule"
            )
        } catch let error as PostgresError where error.sqlState == "23505" {
            throw ConfigurationError("a periodic task named '\(definition.name)' already exists")
        }
    }

    /// Deletes a schedule; false if there was none.
    public func remove(_ name: String, on connection: Connection) throws -> Bool {
        try connection.execute("DELETE FROM \(schema).periodic_tasks WHERE name = $1", [name], name: "remove schedule")
            .affectedRows > 0
    }

    /// Enables or disables a schedule; false if there was none.
    public func setEnabled(_ name: String, _ enabled: Bool, on connection: Connection) throws -> Bool {
        try connection.execute(
            "UPDATE \(schema).periodic_tasks SET enabled = $2 WHERE name = $1",
            [name, enabled ? "true" : "false"],
            name: "enable schedule"
        ).affectedRows > 0
    }

    /// Every schedule, by name.
    public func list(on connection: Connection) throws -> [Entry] {
        let rows = try connection.execute(
            """
            SELECT name, task, coalesce(cron, 'every ' || interval_seconds || 's'), time_zone, enabled, misfire_policy,
                   to_char(last_run_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS"Z"'),
                   to_char(next_run_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS"Z"'),
                   total_run_count, source, last_error
            FROM \(schema).periodic_tasks ORDER BY name
            """,
            name: "list schedules"
        )
        return (0..<rows.rowCount).map { row in
            Entry(
                name: rows.string(row, 0) ?? "", task: rows.string(row, 1) ?? "", schedule: rows.string(row, 2) ?? "",
                timeZone: rows.string(row, 3) ?? "UTC", enabled: rows.bool(row, 4) ?? false,
                misfirePolicy: rows.string(row, 5) ?? "once", lastRunAt: rows.string(row, 6), nextRunAt: rows.string(row, 7),
                totalRunCount: rows.int(row, 8) ?? 0, source: rows.string(row, 9) ?? "", lastError: rows.string(row, 10)
            )
        }
    }

    private static func parameters(_ definition: PeriodicTask) -> [String?] {
        [
            definition.name, definition.task, definition.args, definition.kwargs, definition.queue,
            definition.priority.map(String.init), definition.cronText, definition.intervalSeconds.map { String($0) },
            definition.timeZoneName, definition.enabled ? "true" : "false", definition.misfirePolicy.rawValue,
        ]
    }
}
