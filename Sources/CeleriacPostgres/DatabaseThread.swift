import Foundation
import Synchronization

/// A dedicated OS thread that owns one ``Connection`` and runs database work on it,
/// so blocking libpq calls never occupy Swift's cooperative thread pool.
///
/// Work is queued in order; each job gets the connection, (re)connected on demand with
/// jittered backoff. A job that fails because the connection broke drops it, and the
/// next job reconnects.
///
/// ```swift
/// let db = DatabaseThread(url: url, name: "producer")
/// let total = try await db.run { connection in
///     try connection.execute("SELECT count(*) FROM celeriac.tasks").int(0, 0) ?? 0
/// }
/// ```
///
/// `@unchecked Sendable`: all mutable state is guarded by `condition`; the connection
/// itself is touched only by the owned thread.
public final class DatabaseThread: @unchecked Sendable {
    private typealias Job = @Sendable (ConnectionSlot) -> Void

    /// A name for logs and the thread.
    public let name: String
    private let condition = NSCondition()
    private var jobs: [Job] = []
    private var stopping = false
    private var finished = false
    /// Set with the lock held whenever a job is queued or the thread is told to stop, and
    /// cleared when the thread takes the queue: what the spinning thread watches.
    private let hasWork = Atomic<Bool>(false)

    /// Starts the thread. The connection opens with the first job.
    /// - Parameters:
    ///   - url: the server.
    ///   - name: the thread name and `application_name`.
    ///   - sessionSetup: statements run after every (re)connect.
    ///   - reconnectTimeout: how long a job keeps retrying to connect before failing (a
    ///     connection the server rejects for good, e.g. a wrong password, fails at once).
    ///   - onRetry: told of each failed attempt to connect that will be retried, with the wait.
    public init(
        url: DatabaseURL,
        name: String = "celeriac",
        sessionSetup: [String] = [],
        reconnectTimeout: Duration = .seconds(15),
        onRetry: RetryReporter? = nil
    ) {
        self.name = name
        // The slot (and so the connection) is created on the thread that owns it.
        let thread = Thread { [self] in
            self.loop(
                slot: ConnectionSlot(
                    url: url,
                    applicationName: name,
                    sessionSetup: sessionSetup,
                    reconnectTimeout: reconnectTimeout,
                    onRetry: onRetry
                )
            )
        }
        thread.name = name
        thread.start()
    }

    /// Runs `body` on the connection's thread and returns its value.
    ///
    /// The body blocks that thread, never the caller's. Errors from the body are
    /// rethrown; if they show the connection broke, it is dropped and reopened for the
    /// next job.
    @discardableResult
    public func run<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let accepted = enqueue { slot in
                do {
                    let connection = try slot.connection()
                    do {
                        continuation.resume(returning: try body(connection))
                    } catch {
                        slot.dropIfBroken(error)
                        continuation.resume(throwing: error)
                    }
                } catch {
                    continuation.resume(throwing: error)
                }
            }
            if !accepted {
                continuation.resume(
                    throwing: PostgresError(code: .connectionLost, message: "database thread \(name) has shut down")
                )
            }
        }
    }

    /// Finishes queued jobs, closes the connection and ends the thread. Waits for that.
    public func shutdown() {
        condition.lock()
        stopping = true
        hasWork.store(true, ordering: .releasing)
        condition.broadcast()
        while !finished { condition.wait() }
        condition.unlock()
    }

    deinit {
        condition.lock()
        stopping = true
        hasWork.store(true, ordering: .releasing)
        condition.broadcast()
        condition.unlock()
    }

    private func enqueue(_ job: @escaping Job) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !stopping else { return false }
        jobs.append(job)
        hasWork.store(true, ordering: .releasing)
        condition.signal()
        return true
    }

    /// Spins for up to ``spinBeforeSleeping`` while no job is queued, if no other thread
    /// of this process is spinning already.
    private func awaitNextJob() {
        guard Self.spinning.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return }
        defer { Self.spinning.store(false, ordering: .releasing) }
        let deadline = ContinuousClock.now + Self.spinBeforeSleeping
        // Reads an atomic, not the queue under the lock: a spinner taking the lock over and
        // over would make the caller handing over its job wait for it. Yields at each turn:
        // on two cores the thread that must run next (the caller, resumed by the job just
        // done) may be waiting for this very CPU.
        while ContinuousClock.now < deadline {
            if hasWork.load(ordering: .acquiring) { return }
            sched_yield()
        }
    }

    private func loop(slot: ConnectionSlot) {
        while true {
            awaitNextJob()
            condition.lock()
            while jobs.isEmpty && !stopping { condition.wait() }
            if jobs.isEmpty && stopping {
                slot.close()
                finished = true
                condition.broadcast()
                condition.unlock()
                return
            }
            let batch = jobs
            jobs.removeAll(keepingCapacity: true)
            hasWork.store(stopping, ordering: .releasing)
            condition.unlock()
            for job in batch { job(slot) }
        }
    }
}

extension DatabaseThread {
    /// How long the thread keeps looking for the next job before it sleeps.
    ///
    /// A caller that awaits one statement after another (a loop of `delay()` calls) hands
    /// over its next job a few microseconds after the last answer. Sleeping in between
    /// costs a wake-up each time, which on this kind of virtual machine, its CPUs idle
    /// during the commit, measured ~50 µs: a sixth of a single-row insert. The spin costs
    /// at most this much CPU per job.
    static let spinBeforeSleeping: Duration = .microseconds(150)

    /// Set while one thread spins. One is enough for a caller awaiting statements one after
    /// another; with many callers at once, spinning threads would take the CPU their
    /// PostgreSQL backends need (8 concurrent callers: ~6,000 inserts/s with every pool
    /// thread spinning, ~6,900/s with none, in separate runs on a noisy machine).
    static let spinning = Atomic<Bool>(false)
}

/// Told of a failed attempt to connect that will be retried after the given wait.
public typealias RetryReporter = @Sendable (PostgresError, Duration) -> Void

/// The connection owned by one thread, opened lazily and reopened after failures.
final class ConnectionSlot {
    private let url: DatabaseURL
    private let applicationName: String
    private let sessionSetup: [String]
    private let reconnectTimeout: Duration
    private let onRetry: RetryReporter?
    private var current: Connection?

    init(
        url: DatabaseURL, applicationName: String, sessionSetup: [String], reconnectTimeout: Duration,
        onRetry: RetryReporter?
    ) {
        self.url = url
        self.applicationName = applicationName
        self.sessionSetup = sessionSetup
        self.reconnectTimeout = reconnectTimeout
        self.onRetry = onRetry
    }

    /// The live connection, connecting with backoff until `reconnectTimeout` if needed. A
    /// connection the server rejects for good (``PostgresError/Code/connectionRejected``)
    /// fails at once; every other failure is reported to `onRetry` before the next attempt.
    func connection() throws -> Connection {
        if let current, current.isConnected { return current }
        current = nil
        var backoff = Backoff(initial: .milliseconds(50), maximum: .seconds(2))
        let deadline = ContinuousClock.now + reconnectTimeout
        while true {
            do {
                let connection = try Connection(url: url, applicationName: applicationName, sessionSetup: sessionSetup)
                current = connection
                return connection
            } catch let error as PostgresError where error.code != .connectionRejected {
                let delay = backoff.next()
                if ContinuousClock.now + delay > deadline { throw error }
                onRetry?(error, delay)
                Thread.sleep(forTimeInterval: Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18)
            }
        }
    }

    /// Drops the connection if `error` shows it is no longer usable.
    func dropIfBroken(_ error: Error) {
        if let error = error as? PostgresError, error.isConnectionProblem {
            current?.close()
            current = nil
        } else if let current, !current.isConnected {
            self.current = nil
        }
    }

    func close() {
        current?.close()
        current = nil
    }
}
