/// The names of the four least-privilege roles `celeriac migrate --roles` creates and grants
/// (sql/repeatable/roles.sql): producer, worker, monitor and admin.
public struct RoleNames: Sendable, Hashable {
    /// May enqueue and read results.
    public var producer: String
    /// What workers and beat need.
    public var worker: String
    /// May read the monitoring views.
    public var monitor: String
    /// The monitor's rights, the control functions and the audit log.
    public var admin: String

    public init(producer: String, worker: String, monitor: String, admin: String) {
        self.producer = producer
        self.worker = worker
        self.monitor = monitor
        self.admin = admin
    }

    /// `<prefix>_producer`, `<prefix>_worker`, `<prefix>_monitor`, `<prefix>_admin`.
    public init(prefix: String) {
        self.init(
            producer: "\(prefix)_producer", worker: "\(prefix)_worker", monitor: "\(prefix)_monitor", admin: "\(prefix)_admin")
    }

    /// Checks that the names are distinct and usable as PostgreSQL role names.
    public func validate() throws {
        let all = [producer, worker, monitor, admin]
        guard Set(all).count == 4 else { throw ConfigurationError("the four role names must differ: \(all)") }
        for name in all where name.isEmpty || name.utf8.count > 63 || name.hasPrefix("pg_") {
            throw ConfigurationError("'\(name)' cannot be a role name (1 to 63 bytes, not starting with pg_)")
        }
    }
}
