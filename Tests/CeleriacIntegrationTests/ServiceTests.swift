import CeleriacDashboard
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Testing

@testable import Celeriac

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The worker and beat as swift-service-lifecycle Services in a ServiceGroup.
@Suite struct ServiceTests {
    @Test func aWorkerInAServiceGroupRunsTasksAndStopsWarmOnGracefulShutdown() async throws {
        try await TestEnvironment.with { env in
            let finished = Mutex(0)
            let slow = env.app.task("tasks.slow") { (n: Int) async throws -> Int in
                try await Task.sleep(for: .milliseconds(300))
                finished.withLock { $0 += 1 }
                return n
            }
            var options = WorkerOptions()
            options.nodeName = "service@%h"
            let worker = Worker(app: env.app, options: options)
            let group = ServiceGroup(
                configuration: ServiceGroupConfiguration(
                    services: [.init(service: WorkerService(worker))], logger: Logger(label: "test")))
            let running = Task { try await group.run() }
            let first = try await slow.delay(1)
            #expect(try await first.get(timeout: .seconds(10)) == 1)
            // A task in progress when the group shuts down gracefully still finishes.
            let second = try await slow.delay(2)
            try await env.eventually("the second task started") {
                try await env.count("SELECT count(*) FROM \(env.schema).tasks WHERE state = 'started'") == 1
            }
            await group.triggerGracefulShutdown()
            try await running.value
            #expect(finished.withLock { $0 } == 2)
            #expect(try await second.state == .success)
            #expect(
                try await env.count("SELECT count(*) FROM \(env.schema).workers WHERE stopped_at IS NOT NULL") == 1)
        }
    }

    /// Maintenance and the dashboard beside beat in one group: maintenance takes the cluster's
    /// lease and gives it up on shutdown; the dashboard answers until then.
    @Test func maintenanceAndTheDashboardRunInAServiceGroup() async throws {
        try await TestEnvironment.with { env in
            let maintenance = MaintenanceService(app: env.app, holder: "group-maintenance")
            let port = Int.random(in: 20_000..<40_000)
            let dashboard = try Dashboard(app: env.app, settings: DashboardSettings(port: port))
            let group = ServiceGroup(
                configuration: ServiceGroupConfiguration(
                    services: [.init(service: maintenance), .init(service: dashboard.service())], logger: Logger(label: "test")))
            let running = Task { try await group.run() }
            let leads =
                "SELECT count(*) FROM \(env.schema).leaders WHERE role = 'maintenance' AND holder = 'group-maintenance' AND expires_at > now()"
            try await env.eventually("maintenance leads") { try await env.count(leads) == 1 }
            try await env.eventually("the dashboard answers") {
                let url = try #require(URL(string: "http://127.0.0.1:\(port)/healthcheck"))
                let answer = try? await URLSession.shared.data(from: url)
                return (answer?.1 as? HTTPURLResponse)?.statusCode == 200
            }
            await group.triggerGracefulShutdown()
            try await running.value
            #expect(try await env.count(leads) == 0)
        }
    }
}
