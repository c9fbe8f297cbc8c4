import Celeriac
import CeleriacDashboard
import Foundation
import Hummingbird
import Logging
import NIOCore

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Times the dashboard's pages and API routes over real HTTP, with whatever the database
/// holds: the server runs in this process on a free loopback port.
struct DashboardTimings {
    let app: CeleriacApp
    /// Requests per route; the figure is their 95th percentile.
    var requests = 20

    func measure(paths: [String]) async throws -> [(String, Double)] {
        let dashboard = try Dashboard(app: app, settings: DashboardSettings(port: 5555))
        let port = PortBox()
        // Stopping the server by cancellation logs errors that are not errors here.
        var quiet = Logger(label: "Dashboard")
        quiet.logLevel = .critical
        let application = Application(
            router: dashboard.router(),
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in port.set(channel.localAddress?.port) },
            logger: quiet
        )
        let server = Task { try await application.runService(gracefulShutdownSignals: []) }
        defer { server.cancel() }
        let deadline = ContinuousClock.now + .seconds(10)
        var bound: Int?
        while bound == nil {
            guard ContinuousClock.now < deadline else { throw BenchError("the dashboard did not start") }
            try await Task.sleep(for: .milliseconds(20))
            bound = port.value
        }
        guard let bound else { throw BenchError("the dashboard did not start") }
        var timings: [(String, Double)] = []
        for path in paths {
            guard let url = URL(string: "http://127.0.0.1:\(bound)\(path)") else { continue }
            var times: [Double] = []
            for _ in 0..<(requests + 1) {
                let start = ContinuousClock.now
                let (_, response) = try await URLSession.shared.data(from: url)
                times.append((ContinuousClock.now - start).seconds * 1000)
                guard (response as? HTTPURLResponse)?.statusCode == 200 else {
                    throw BenchError("GET \(path) answered \((response as? HTTPURLResponse)?.statusCode ?? 0)")
                }
            }
            // The first request warms the caches; the figure is the p95 of the rest.
            timings.append((path, Percentiles(Array(times.dropFirst())).value(95)))
        }
        return timings
    }
}

/// The port the server bound, set from its start-up callback.
final class PortBox: @unchecked Sendable {
    private let lock = NSLock()
    private var port: Int?

    var value: Int? { lock.withLock { port } }
    func set(_ value: Int?) { lock.withLock { port = value } }
}
