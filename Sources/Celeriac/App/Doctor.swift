import CeleriacPostgres
import Foundation

/// What `celeriac doctor` checks, and what it found: can the app reach its database, is the
/// schema this build's, do notifications arrive, and are the server's settings and clock fit
/// for a fleet of workers.
public struct Doctor: Sendable {
    /// One finding.
    public struct Finding: Sendable, Equatable {
        /// How bad.
        public enum Severity: String, Sendable, Comparable {
            case ok, warning, problem

            public static func < (lhs: Severity, rhs: Severity) -> Bool {
                let order: [Severity] = [.ok, .warning, .problem]
                return order.firstIndex(of: lhs) ?? 0 < order.firstIndex(of: rhs) ?? 0
            }
        }

        public var severity: Severity
        /// What was checked: `connection`, `schema`, `listen`, `connections`, `idle timeout`,
        /// `long transactions`, `clock`.
        public var check: String
        /// What was found, and what to do.
        public var detail: String
    }

    let configuration: Configuration
    /// How long the LISTEN check waits for its own NOTIFY.
    var listenTimeout: Duration = .seconds(2)
    /// The clock skew above which the clock check warns.
    var skewLimit: Double = 1
    /// How long a transaction may stay open before it is a warning (five times that: a problem).
    var longTransaction: Double = 60

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// Runs every check; never throws (a check that cannot run is a finding).
    public func run() -> [Finding] {
        var findings: [Finding] = []
        let sql = SchemaSQL(schema: configuration.schema)
        let url: DatabaseURL
        do { url = try DatabaseURL(configuration.databaseURL) } catch {
            return [Finding(severity: .problem, check: "connection", detail: "the database URL is not valid: \(error)")]
        }
        let connection: Connection
        do {
            connection = try Connection(url: url, applicationName: "celeriac-doctor")
        } catch {
            return [
                Finding(
                    severity: .problem, check: "connection",
                    detail: "cannot connect to \(url.masked): \(error) (check the host, the port, the user and the password)")
            ]
        }
        defer { connection.close() }
        let version = connection.serverVersion
        findings.append(
            Finding(
                severity: version >= 130_000 ? .ok : .problem, check: "connection",
                detail: "\(url.masked): PostgreSQL \(version / 10_000).\(version % 10_000)"
                    + (version >= 130_000 ? "" : " (Celeriac needs 13 or later)")))

        findings.append(schemaFinding(on: connection))
        findings.append(listenFinding(notifier: connection))
        findings += serverFindings(on: connection, sql: sql)
        return findings
    }

    /// The schema's version against this build's.
    func schemaFinding(on connection: Connection) -> Finding {
        let migrator = Migrator(schema: configuration.schema)
        let schema = configuration.schema
        do {
            try migrator.verify(on: connection)
            return Finding(
                severity: .ok, check: "schema", detail: "\(schema) is at version \(migrator.latestVersion), as this build needs")
        } catch let error as SchemaError {
            let current = (try? migrator.currentVersion(on: connection)) ?? 0
            let pending = current == 0 ? [] : migrator.migrations.filter { $0.version > current }.map(\.name)
            let list = pending.isEmpty ? "" : " (pending: \(pending.joined(separator: ", ")))"
            return Finding(severity: .problem, check: "schema", detail: error.message + list)
        } catch {
            return Finding(severity: .problem, check: "schema", detail: "could not read the schema version: \(error)")
        }
    }

    /// Whether a session on the workers' URL hears a NOTIFY sent from another.
    func listenFinding(notifier: Connection) -> Finding {
        let poll = String(format: "%g", configuration.workerPollInterval.seconds)
        let advice =
            "set CELERIAC_LISTEN_DATABASE_URL to a direct URL (not through pgbouncer in transaction mode); "
            + "meanwhile workers poll every \(poll) s instead of waking at once"
        let sessionURL: DatabaseURL
        do { sessionURL = try DatabaseURL(configuration.sessionDatabaseURL) } catch {
            return Finding(severity: .problem, check: "listen", detail: "the listen URL is not valid: \(error)")
        }
        if sessionURL.pooled {
            return Finding(
                severity: .warning, check: "listen",
                detail: "\(sessionURL.masked) goes through a transaction pooler, where LISTEN does not work: " + advice)
        }
        do {
            let listener = try Connection(url: sessionURL, applicationName: "celeriac-doctor")
            defer { listener.close() }
            let channel = "celeriac_doctor_\(UInt32.random(in: 0...UInt32.max))"
            try listener.listen(channel)
            _ = try notifier.execute("SELECT pg_notify($1, 'ping')", [channel])
            let deadline = ContinuousClock.now + listenTimeout
            while ContinuousClock.now < deadline {
                let outcome = try listener.wait(timeout: deadline - ContinuousClock.now)
                if outcome.notifications.contains(where: { $0.channel == channel }) {
                    return Finding(severity: .ok, check: "listen", detail: "a NOTIFY reached a LISTENing session")
                }
            }
            return Finding(
                severity: .warning, check: "listen",
                detail: "a NOTIFY sent to a LISTENing session did not arrive within \(listenTimeout): is \(sessionURL.masked) "
                    + "going through a transaction pooler? " + advice)
        } catch {
            return Finding(severity: .warning, check: "listen", detail: "LISTEN failed: \(error); " + advice)
        }
    }

    /// Connections, the idle-in-transaction timeout, long transactions and the clock.
    func serverFindings(on connection: Connection, sql: SchemaSQL) -> [Finding] {
        let sent = Date().timeIntervalSince1970
        guard let health = try? connection.row(SQL.Server.Health(), in: sql) else {
            return [Finding(severity: .problem, check: "server", detail: "could not read the server's settings")]
        }
        let received = Date().timeIntervalSince1970
        var findings: [Finding] = []

        let workers =
            (try? connection.row(SQL.Server.LiveWorkers(seconds: configuration.workerLeaseDuration.seconds), in: sql))?
            .workers ?? 0
        // Each worker holds a consumer and a maintenance session, and its producers a pool.
        let perWorker = 2 + configuration.producerPoolSize
        let free = health.maxConnections - health.connections
        let connectionsDetail =
            "\(health.connections) of max_connections \(health.maxConnections) in use; \(workers) live worker(s), "
            + "each holding about \(perWorker)"
        findings.append(
            Finding(
                severity: free < perWorker * 2 ? .warning : .ok, check: "connections",
                detail: free < perWorker * 2
                    ? connectionsDetail
                        + ": room for fewer than two more workers (raise max_connections, or put producers behind pgbouncer)"
                    : connectionsDetail))

        let idleOff = health.idleInTransactionTimeout == "0"
        findings.append(
            Finding(
                severity: idleOff ? .warning : .ok, check: "idle timeout",
                detail: idleOff
                    ? "idle_in_transaction_session_timeout is 0: a session left idle in a transaction holds back vacuum "
                        + "of the queue for as long as it lives (set it, e.g. to 5min)"
                    : "idle_in_transaction_session_timeout is \(health.idleInTransactionTimeout)"))

        if let seconds = health.oldestTransactionSeconds, seconds > longTransaction {
            findings.append(
                Finding(
                    severity: seconds > longTransaction * 5 ? .problem : .warning, check: "long transactions",
                    detail: String(format: "a transaction has been open for %.0f s", seconds)
                        + " (application \"\(health.oldestTransactionApplication ?? "")\"): vacuum cannot remove the queue's dead rows meanwhile"
                ))
        } else {
            findings.append(
                Finding(
                    severity: .ok, check: "long transactions",
                    detail: String(format: "no transaction open for over %g s", longTransaction)))
        }

        // Checkpoints forced by WAL volume: after each, the first change to every page writes
        // the whole page to the WAL, and a busy queue rewrites every page it touches.
        // Counted since the statistics were last reset, so only a small max_wal_size is blamed.
        let walDetail = "max_wal_size is \(health.maxWalSize)"
        let counts = health.checkpointsRequested.flatMap { requested in
            health.checkpointsTimed.map { (requested: requested, timed: $0) }
        }
        let countsText =
            counts.map { String(format: "; %.0f checkpoints forced by WAL volume, %.0f on time", $0.requested, $0.timed) } ?? ""
        if let counts, counts.requested >= 10, counts.requested > counts.timed, health.maxWalBytes < 4 * 1_073_741_824 {
            findings.append(
                Finding(
                    severity: .warning, check: "checkpoints",
                    detail: walDetail + countsText
                        + ": raise it (4 to 16GB for a busy queue): after each checkpoint the first change to every page writes it whole to the WAL (docs/deployment.md)"
                ))
        } else {
            findings.append(Finding(severity: .ok, check: "checkpoints", detail: walDetail + countsText))
        }

        // The server's clock against the host's, at the middle of the round trip.
        let skew = health.clock - (sent + received) / 2
        let skewText = String(format: "%+.3f s (server minus host, round trip %.0f ms)", skew, (received - sent) * 1_000)
        findings.append(
            Finding(
                severity: abs(skew) > skewLimit ? .warning : .ok, check: "clock",
                detail: abs(skew) > skewLimit
                    ? "the clocks differ by \(skewText): schedules run on the database's clock, but countdowns and "
                        + "expiry dates made here use this host's (run NTP on both)"
                    : "the clocks agree within \(skewText)"))
        return findings
    }
}
