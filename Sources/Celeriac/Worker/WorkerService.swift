import ServiceLifecycle

/// A worker as a swift-service-lifecycle `Service`: run it in your `ServiceGroup` next to a web
/// server. The group's graceful shutdown (SIGTERM, say) makes a warm stop: the worker takes no
/// new task, finishes those running (within its shutdown grace), gives back those waiting,
/// then returns.
///
/// ```swift
/// let group = ServiceGroup(
///     configuration: .init(services: [.init(service: WorkerService(Worker(app: app)))],
///                          gracefulShutdownSignals: [.sigterm], logger: logger))
/// try await group.run()
/// ```
public struct WorkerService: Service {
    /// The worker it runs.
    public let worker: Worker

    public init(_ worker: Worker) {
        self.worker = worker
    }

    public func run() async throws {
        let worker = self.worker
        try await withGracefulShutdownHandler {
            try await worker.run(handleSignals: false, printBanner: false)
        } onGracefulShutdown: {
            worker.stop()
        }
    }
}
