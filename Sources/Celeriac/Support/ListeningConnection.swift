import CeleriacPostgres
import Foundation
import Logging

/// A session that LISTENs on its topics and comes back after failures: connect, run the
/// session setup, LISTEN, back off with jitter while the server is away, LISTEN again after a
/// reconnect. The worker, beat and the maintenance service each own one (and the dashboard
/// will), on their own thread.
///
/// After a reconnect, ``live()`` says so, so its owner can catch up on what it may have
/// missed: NOTIFYs sent while away are lost, and a statement whose answer was lost may have
/// committed.
///
/// Not `Sendable`: one thread uses it, like the ``Connection`` inside.
final class ListeningConnection {
    /// Session settings that keep a stuck worker from holding locks or snapshots, and keep the
    /// hot statements on generic plans (they are written so that generic plans stay index-driven).
    static let workerSessionSetup = [
        "SET idle_in_transaction_session_timeout = '60s'",
        "SET lock_timeout = '10s'",
        "SET statement_timeout = '60s'",
        "SET plan_cache_mode = force_generic_plan",
    ]

    /// The worker's consumer session: as ``workerSessionSetup``, without bitmap scans. A
    /// vacuum or analyze of `tasks` while the queue was empty leaves it thought empty (its
    /// pages are kept), and the claim then read a whole queue through a bitmap scan and sorted
    /// it, instead of walking `tasks_ready_idx` in order to its limit: a second per claim at
    /// 100,000 waiting. The consumer's statements all look rows up by key or walk an index in
    /// order. (Maintenance keeps them: pruning reads BRIN indexes, which only bitmap scans use.)
    static let consumerSessionSetup = workerSessionSetup + ["SET enable_bitmapscan = off"]

    let url: DatabaseURL
    let applicationName: String
    let channels: [String]
    let sessionSetup: [String]
    private let logger: Logger
    private var connection: Connection?
    private var backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(5))
    /// Whether a connection was lost since the last one: the next is a reconnect.
    private var lost = false

    init(url: DatabaseURL, applicationName: String, channels: [String], sessionSetup: [String], logger: Logger) {
        self.url = url
        self.applicationName = applicationName
        self.channels = channels
        self.sessionSetup = sessionSetup
        self.logger = logger
    }

    /// The session, connecting and LISTENing first if needed. `new` is true when this call
    /// opened it (NOTIFYs may have been missed before), `reconnected` when a session was lost
    /// before it (a statement's answer may have been lost with it).
    /// - Throws: the connection error; wait ``nextDelay()`` before trying again.
    func live() throws -> (connection: Connection, new: Bool, reconnected: Bool) {
        if let connection, connection.isConnected { return (connection, false, false) }
        connection?.close()
        connection = nil
        let fresh = try Connection(url: url, applicationName: applicationName, sessionSetup: sessionSetup)
        // Behind a transaction pooler there is no LISTEN: the owner polls (it says so at start).
        for channel in channels where !url.pooled { try fresh.listen(channel) }
        connection = fresh
        backoff.reset()
        defer { lost = false }
        if lost { logger.info("Reconnected to \(url.masked)") }
        return (fresh, true, lost)
    }

    /// A statement failed: drops the session if the error shows it broke (the next
    /// ``live()`` reconnects at once, backing off only if that fails). Returns how long to
    /// wait before going on: zero after a lost connection, a backoff after a statement failed
    /// on a healthy one, so a persistent error does not spin.
    func failed(_ error: any Error) -> Duration {
        if let connection, !connection.isConnected || (error as? PostgresError)?.isConnectionProblem == true {
            connection.close()
            self.connection = nil
            lost = true
            return .zero
        }
        return backoff.next()
    }

    /// How long to wait before the next connection attempt.
    func nextDelay() -> Duration {
        lost = true
        return backoff.next()
    }

    /// A statement went through: the server is back to normal.
    func succeeded() {
        backoff.reset()
    }

    /// Closes the session.
    func close() {
        connection?.close()
        connection = nil
    }

    /// The session if it is open, for last words at shutdown.
    var current: Connection? {
        guard let connection, connection.isConnected else { return nil }
        return connection
    }
}
