import Foundation

/// A periodic task: which task to enqueue, with which arguments, on which schedule.
///
/// Defined in code (``Configuration/beatSchedule``), with `celeriac schedule add`, or by
/// inserting a row into `<schema>.periodic_tasks`.
///
/// ```swift
/// app.conf.beatSchedule = [
///     try add.periodic("add-every-5-minutes", .crontab("*/5 * * * *"), 16, 16),
///     try add.periodic("add-at-3am", .crontab("0 3 * * *", timeZone: "Europe/Moscow"), 1, 2),
///     PeriodicTask(name: "ping", task: "tasks.ping", timing: .every(.seconds(30))),
/// ]
/// ```
public struct PeriodicTask: Sendable, Hashable {
    /// When it fires.
    public enum Timing: Sendable, Hashable {
        /// A 5-field cron expression (or `@hourly`, `@daily`…) in an IANA time zone.
        case crontab(String, timeZone: String = "UTC")
        /// A fixed interval, anchored at the schedule's creation.
        case every(Duration)
    }

    /// Unique name of the schedule.
    public var name: String
    /// The registered task name to enqueue.
    public var task: String
    /// When.
    public var timing: Timing
    /// Positional arguments, a JSON array.
    public var args: String
    /// Keyword arguments, a JSON object.
    public var kwargs: String
    /// The queue (nil: routes, then the default queue).
    public var queue: String?
    /// The priority (nil: 0).
    public var priority: Int?
    /// What to do with ticks missed while no beat ran.
    public var misfirePolicy: MisfirePolicy
    /// Whether it fires at all.
    public var enabled: Bool

    public init(
        name: String,
        task: String,
        timing: Timing,
        args: String = "[]",
        kwargs: String = "{}",
        queue: String? = nil,
        priority: Int? = nil,
        misfirePolicy: MisfirePolicy = .once,
        enabled: Bool = true
    ) {
        self.name = name
        self.task = task
        self.timing = timing
        self.args = args
        self.kwargs = kwargs
        self.queue = queue
        self.priority = priority
        self.misfirePolicy = misfirePolicy
        self.enabled = enabled
    }

    /// Checks the cron expression, time zone, interval, JSON and queue; the error names
    /// the schedule and what is wrong.
    public func validate() throws {
        guard !name.isEmpty, name.utf8.count <= 200 else { throw ConfigurationError("a periodic task needs a name (1 to 200 characters)") }
        guard !task.isEmpty else { throw ConfigurationError("periodic task '\(name)' names no task") }
        do {
            switch timing {
            case .crontab(let expression, let timeZone):
                _ = try Schedule.crontab(expression, timeZone: timeZone)
            case .every(let interval):
                _ = try Schedule.every(interval, anchor: Date())
            }
        } catch {
            throw ConfigurationError("periodic task '\(name)': \(error)")
        }
        do {
            try CeleriacApp.checkJSON(args, kind: "args", expected: "array")
            try CeleriacApp.checkJSON(kwargs, kind: "kwargs", expected: "object")
            if let queue { try QueueName.validate(queue) }
        } catch {
            throw ConfigurationError("periodic task '\(name)': \(error)")
        }
        if let priority, !(0...255).contains(priority) {
            throw ConfigurationError("periodic task '\(name)': priority must be between 0 and 255")
        }
    }

    /// The `cron` column value (nil for intervals).
    var cronText: String? {
        if case .crontab(let expression, _) = timing { return expression }
        return nil
    }

    /// The `interval_seconds` column value (nil for cron).
    var intervalSeconds: Double? {
        if case .every(let interval) = timing { return interval.seconds }
        return nil
    }

    /// The `time_zone` column value.
    var timeZoneName: String {
        if case .crontab(_, let zone) = timing { return zone }
        return "UTC"
    }
}

extension TaskDefinition {
    /// A periodic task calling this task with typed arguments.
    public func periodic(
        _ name: String,
        _ timing: PeriodicTask.Timing,
        _ arguments: repeat each Argument,
        queue: String? = nil,
        misfirePolicy: MisfirePolicy = .once
    ) throws -> PeriodicTask {
        PeriodicTask(
            name: name, task: self.name, timing: timing, args: try ArgumentCoding.encode(repeat each arguments),
            queue: queue ?? options.queue, priority: options.priority, misfirePolicy: misfirePolicy
        )
    }
}
