import Synchronization

/// A fixed-size set of ``DatabaseThread``s handed out one caller at a time.
///
/// Threads (and their connections) are created on first demand, up to `size`.
///
/// ```swift
/// let pool = ConnectionPool(url: url, size: 4)
/// try await pool.withConnection { db in
///     try await db.run { try $0.execute("BEGIN") }
///     // … several statements on the same session …
///     try await db.run { try $0.execute("COMMIT") }
/// }
/// ```
public final class ConnectionPool: Sendable {
    private struct State {
        var idle: [DatabaseThread] = []
        var all: [DatabaseThread] = []
        var waiters: [CheckedContinuation<DatabaseThread?, Never>] = []
        var closed = false
    }

    /// The server.
    public let url: DatabaseURL
    /// The most connections this pool opens.
    public let size: Int
    private let name: String
    private let sessionSetup: [String]
    private let reconnectTimeout: Duration
    private let onRetry: RetryReporter?
    private let state = Mutex(State())

    /// - Parameters:
    ///   - reconnectTimeout: how long a job keeps retrying to connect (see ``DatabaseThread``).
    ///   - onRetry: told of each failed attempt to connect that will be retried.
    public init(
        url: DatabaseURL,
        size: Int = 4,
        name: String = "celeriac",
        sessionSetup: [String] = [],
        reconnectTimeout: Duration = .seconds(15),
        onRetry: RetryReporter? = nil
    ) {
        self.url = url
        self.size = max(1, size)
        self.name = name
        self.sessionSetup = sessionSetup
        self.reconnectTimeout = reconnectTimeout
        self.onRetry = onRetry
    }

    /// Runs `body` with exclusive use of one connection thread.
    public func withConnection<T>(_ body: (DatabaseThread) async throws -> T) async throws -> T {
        let thread = try await checkOut()
        defer { checkIn(thread) }
        return try await body(thread)
    }

    /// Runs one blocking job on any free connection.
    @discardableResult
    public func run<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T) async throws -> T {
        try await withConnection { try await $0.run(body) }
    }

    /// Closes every connection. Later calls fail.
    public func shutdown() {
        let (threads, waiters) = state.withLock { state -> ([DatabaseThread], [CheckedContinuation<DatabaseThread?, Never>]) in
            state.closed = true
            defer { state.waiters.removeAll() }
            return (state.all, state.waiters)
        }
        // Callers still waiting for a connection get an error instead of waiting forever.
        waiters.forEach { $0.resume(returning: nil) }
        threads.forEach { $0.shutdown() }
    }

    private func checkOut() async throws -> DatabaseThread {
        enum Next { case ready(DatabaseThread), wait, closed }
        let next = state.withLock { state -> Next in
            if state.closed { return .closed }
            if let thread = state.idle.popLast() { return .ready(thread) }
            if state.all.count < size {
                let thread = DatabaseThread(
                    url: url, name: "\(name)-\(state.all.count + 1)", sessionSetup: sessionSetup,
                    reconnectTimeout: reconnectTimeout, onRetry: onRetry)
                state.all.append(thread)
                return .ready(thread)
            }
            return .wait
        }
        switch next {
        case .ready(let thread): return thread
        case .closed: throw PostgresError(code: .connectionLost, message: "the connection pool is shut down")
        case .wait:
            let handed = await withCheckedContinuation { (continuation: CheckedContinuation<DatabaseThread?, Never>) in
                enum Outcome { case thread(DatabaseThread), closed, queued }
                let outcome = state.withLock { state -> Outcome in
                    if state.closed { return .closed }
                    if let thread = state.idle.popLast() { return .thread(thread) }
                    state.waiters.append(continuation)
                    return .queued
                }
                switch outcome {
                case .thread(let thread): continuation.resume(returning: thread)
                case .closed: continuation.resume(returning: nil)
                case .queued: break
                }
            }
            guard let handed else { throw PostgresError(code: .connectionLost, message: "the connection pool is shut down") }
            return handed
        }
    }

    private func checkIn(_ thread: DatabaseThread) {
        let waiter = state.withLock { state -> CheckedContinuation<DatabaseThread?, Never>? in
            if !state.waiters.isEmpty { return state.waiters.removeFirst() }
            state.idle.append(thread)
            return nil
        }
        waiter?.resume(returning: thread)
    }
}
