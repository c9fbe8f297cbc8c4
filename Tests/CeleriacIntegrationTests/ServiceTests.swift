import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Testing

@testable import Celeriac

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
}
