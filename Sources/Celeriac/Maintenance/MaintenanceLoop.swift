import CeleriacPostgres
import Foundation
import Logging
import Synchronization

/// Runs ``Maintenance`` rounds every ``Maintenance/interval`` on a thread and session of its
/// own, in whatever process hosts it (every worker and beat do): the `maintenance` lease
/// decides which one does the work, so it runs once per cluster at a time.
///
/// ``runOnce(now:)`` is one turn of the loop, for tests: it runs a round when one is due at
/// `now` and says when the next is.
///
/// `@unchecked Sendable`: `stopping` is locked; the session and `next` are touched only by the
/// service's thread (or by a test calling ``runOnce(now:)`` without starting it).
package final class MaintenanceLoop: @unchecked Sendable {
    package let maintenance: Maintenance
    private let session: ListeningConnection
    private let stopping = Mutex(false)
    private let started = Mutex(false)
    /// Whether the loop has ended, and who waits for that.
    private let finished = Mutex<(done: Bool, waiter: CheckedContinuation<Void, Never>?)>((false, nil))
    private let wakeup: WakeupPipe
    private let logger = Logger(label: "Maintenance")
    private var next: ContinuousClock.Instant?
    /// The queue's vacuum and the results' partitions, looked at every second between rounds
    /// while this node leads.
    package var vacuum: QueueVacuum
    package var partitions: TablePartitions
    private var nextVacuumCheck: ContinuousClock.Instant?
    private var leading = false

    package init(maintenance: Maintenance, url: DatabaseURL, applicationName: String) throws {
        self.maintenance = maintenance
        vacuum = QueueVacuum(sql: maintenance.sql)
        partitions = TablePartitions(sql: maintenance.sql, expires: maintenance.resultExpires)
        session = ListeningConnection(
            url: url, applicationName: applicationName, channels: [],
            sessionSetup: ListeningConnection.workerSessionSetup, logger: Logger(label: "Maintenance"))
        wakeup = try WakeupPipe()
    }

    /// Runs a round if one is due at `now`, and while this node leads, the partitions' and the
    /// queue's vacuum check if that is due; returns when the next of them is due.
    @discardableResult
    package func runOnce(now: ContinuousClock.Instant) throws -> ContinuousClock.Instant {
        if next.map({ now >= $0 }) ?? true {
            next = now + maintenance.interval
            let (connection, _, _) = try session.live()
            leading = try maintenance.runOnce(on: connection).leader
        }
        if leading, nextVacuumCheck.map({ now >= $0 }) ?? true {
            nextVacuumCheck = now + QueueVacuum.checkInterval
            let (connection, _, _) = try session.live()
            try partitions.runOnce(on: connection)
            try vacuum.runOnce(on: connection, now: now)
        }
        let round = next ?? now + maintenance.interval
        guard leading, let check = nextVacuumCheck else { return round }
        return min(round, check)
    }

    /// Starts the loop thread; it runs until ``stop()``.
    package func start() {
        started.withLock { $0 = true }
        let thread = Thread { [self] in
            while !stopping.withLock({ $0 }) {
                var deadline = ContinuousClock.now + maintenance.interval
                do {
                    deadline = try runOnce(now: .now)
                } catch {
                    logger.error("maintenance: \(error)")
                    deadline = ContinuousClock.now + session.failed(error)
                }
                wakeup.wait(timeout: max(.zero, deadline - .now))
            }
            if let connection = session.current { try? maintenance.lease.release(on: connection) }
            session.close()
            let waiter = finished.withLock { state -> CheckedContinuation<Void, Never>? in
                state.done = true
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }
        thread.name = "celeriac-maintenance"
        thread.start()
    }

    /// Stops the loop after the current round, and returns once it has given the lease up
    /// (so another node takes over without waiting for it to lapse).
    package func stop() async {
        stopping.withLock { $0 = true }
        wakeup.signal()
        guard started.withLock({ $0 }) else { return }
        await withCheckedContinuation { continuation in
            let done = finished.withLock { state -> Bool in
                if !state.done { state.waiter = continuation }
                return state.done
            }
            if done { continuation.resume() }
        }
    }
}
