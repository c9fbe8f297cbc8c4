import ServiceLifecycle

/// Beat as a `Service`: it stops sending periodic tasks on the group's graceful shutdown.
public struct BeatService: Service {
    /// The beat it runs.
    public let beat: Beat

    public init(_ beat: Beat) {
        self.beat = beat
    }

    public func run() async throws {
        let beat = self.beat
        try await withGracefulShutdownHandler {
            try await beat.run(handleSignals: false)
        } onGracefulShutdown: {
            beat.stop()
        }
    }
}
