import Dispatch
import Foundation
import Logging
import Synchronization

/// Turns SIGTERM/SIGINT into a warm shutdown (a second one: cold) and SIGQUIT into a
/// cold shutdown, as Celery does. The handler receives `true` for a cold shutdown.
///
/// `@unchecked Sendable`: `sources` is fixed after init and DispatchSource is thread-safe.
final class ShutdownSignals: @unchecked Sendable {
    private let sources: [any DispatchSourceSignal]

    init(_ handler: @escaping @Sendable (_ cold: Bool) -> Void) {
        let logger = Logger(label: "MainProcess")
        let received = Mutex(0)
        var sources: [any DispatchSourceSignal] = []
        for number in [SIGTERM, SIGINT, SIGQUIT] {
            // Without this the default action would kill the process before the source fires.
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                let count = received.withLock { count -> Int in
                    count += 1
                    return count
                }
                let cold = number == SIGQUIT || count > 1
                logger.warning("worker: \(cold ? "Cold" : "Warm") shutdown (MainProcess)")
                handler(cold)
            }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
    }

    func cancel() {
        sources.forEach { $0.cancel() }
    }
}
