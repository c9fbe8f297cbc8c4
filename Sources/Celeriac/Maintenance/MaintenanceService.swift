import CeleriacPostgres
import Foundation
import ServiceLifecycle

/// Cluster maintenance ( rescue of lost tasks, pruning, priority aging, the
/// queue's vacuum) as a `Service`, for a process that runs neither a worker nor beat, such as
/// a web server that should keep the queue healthy on its own. Every worker and beat already
/// runs it; the `maintenance` lease makes one node at a time do the work, however many run.
///
/// ```swift
/// let services = ServiceGroup(configuration: .init(
///     services: [.init(service: MaintenanceService(app: app))], logger: logger))
/// ```
public struct MaintenanceService: Service {
    /// The app whose database it maintains.
    public let app: CeleriacApp
    /// The name this node leads under (`maintenance` lease holder).
    public let holder: String

    public init(app: CeleriacApp, holder: String? = nil) {
        self.app = app
        let suffix = String(UInt32.random(in: 0..<UInt32.max), radix: 36)
        self.holder =
            holder ?? "maintenance@\(ProcessInfo.processInfo.hostName)/\(ProcessInfo.processInfo.processIdentifier).\(suffix)"
    }

    /// Runs rounds until the group's graceful shutdown, then gives up the lease.
    public func run() async throws {
        let conf = app.conf
        let loop = try MaintenanceLoop(
            maintenance: Maintenance(configuration: conf, holder: holder), url: try DatabaseURL(conf.sessionDatabaseURL),
            applicationName: "celeriac-maintenance")
        loop.start()
        try? await gracefulShutdown()
        await loop.stop()
    }
}
