import CeleriacPostgres
import Foundation

/// Reads and writes `<schema>.periodic_tasks`: what `celeriac schedule` and the start-up
/// sync of ``Configuration/beatSchedule`` use. All methods run on a connection the caller
/// owns (on its own thread).
public struct ScheduleStore: Sendable {
    /// The schema.
    public let schema: String
    private let sql: SchemaSQL

    public init(schema: String) {
        self.schema = schema
        sql = SchemaSQL(schema: schema)
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
            try connection.run(SQL.PeriodicTasks.MarkSync(), in: sql)
            var written = 0
            for definition in definitions {
                let statement = SQL.PeriodicTasks.SyncFromCode(
                    name: definition.name, task: definition.task, args: definition.args, kwargs: definition.kwargs,
                    queue: definition.queue, priority: definition.priority, cron: definition.cronText,
                    intervalSeconds: definition.intervalSeconds, timeZone: definition.timeZoneName,
                    enabled: definition.enabled, misfirePolicy: definition.misfirePolicy.rawValue, overwrite: overwrite)
                written += try connection.run(statement, in: sql).affectedRows
            }
            return written
        }
    }

    /// Adds a schedule (from the CLI); fails if the name exists.
    public func add(_ definition: PeriodicTask, on connection: Connection) throws {
        try definition.validate()
        do {
            let statement = SQL.PeriodicTasks.Add(
                name: definition.name, task: definition.task, args: definition.args, kwargs: definition.kwargs,
                queue: definition.queue, priority: definition.priority, cron: definition.cronText,
                intervalSeconds: definition.intervalSeconds, timeZone: definition.timeZoneName,
                enabled: definition.enabled, misfirePolicy: definition.misfirePolicy.rawValue)
            try connection.run(statement, in: sql)
        } catch let error as PostgresError where error.sqlState == "23505" {
            throw ConfigurationError("a periodic task named '\(definition.name)' already exists")
        }
    }

    /// Deletes a schedule; false if there was none.
    public func remove(_ name: String, on connection: Connection) throws -> Bool {
        try connection.row(SQL.PeriodicTasks.Remove(name: name), in: sql) != nil
    }

    /// Enables or disables a schedule; false if there was none.
    public func setEnabled(_ name: String, _ enabled: Bool, on connection: Connection) throws -> Bool {
        try connection.row(SQL.PeriodicTasks.SetEnabled(name: name, enabled: enabled), in: sql) != nil
    }

    /// Every schedule, by name.
    public func list(on connection: Connection) throws -> [Entry] {
        try connection.rows(SQL.PeriodicTasks.List(), in: sql).map { row in
            Entry(
                name: row.name, task: row.task, schedule: row.schedule, timeZone: row.timeZone, enabled: row.enabled,
                misfirePolicy: row.misfirePolicy, lastRunAt: row.lastRunAt, nextRunAt: row.nextRunAt,
                totalRunCount: row.totalRunCount, source: row.source, lastError: row.lastError
            )
        }
    }

    /// The task call a schedule makes, or nil if there is no such schedule (`schedule run-now`).
    public func call(_ name: String, on connection: Connection) throws -> (task: String, args: String, options: CallOptions)? {
        guard let row = try connection.row(SQL.PeriodicTasks.Get(name: name), in: sql) else { return nil }
        return (row.task, row.args, CallOptions(queue: row.queue, priority: row.priority, kwargs: row.kwargs))
    }
}
