import CeleriacPostgres
import Foundation
import Logging
import Synchronization

/// The worker's database loop, on its own OS thread and connection:
/// claim → hand to the pool → collect completions → write them in batches.
///
/// One loop iteration writes every completion gathered since the last one in a single
/// statement (so batches grow by themselves under load, with no added latency when
/// idle), then claims as many tasks as there are free slots. It sleeps in `poll()` on
/// the PostgreSQL socket (woken by `NOTIFY`) and on a self-pipe (woken by completions
/// and shutdown), with a timeout for polling and heartbeats.
///
/// `@unchecked Sendable`: shared state is behind `shared` (a Mutex); the connection and
/// the loop's own variables are touched only by the loop thread.
final class Consumer: @unchecked Sendable {
    struct Settings: Sendable {
        var url: DatabaseURL
        var queries: Queries
        var queues: [String]
        var owner: String
        var concurrency: Int
        var claimBatch: Int
        var completionBatch: Int
        var pollInterval: Duration
        var heartbeatInterval: Duration
        var lease: Duration
        var shutdownGrace: Duration
        /// Cluster housekeeping, run on the heartbeat when this worker is elected.
        var maintenance: Maintenance?
        /// Shown in `pg_stat_activity`.
        var applicationName: String = "celeriac-worker"
    }

    private struct Shared {
        var completions: [Completion] = []
        /// The pool tasks running claimed work, to cancel them when the lease is lost.
        var handles: [UUID: Task<Void, Never>] = [:]
        /// Tasks that finished before their handle was recorded.
        var finishedEarly: Set<UUID> = []
        /// Tasks cancelled because their lease was lost or given back: their outcome is not
        /// written (rescue or the next claimer decides).
        var abandoned: Set<UUID> = []
        var running = 0
        var freeSlots: [Int]
        var stop: StopMode = .none
        var stopRequestedAt: ContinuousClock.Instant?
    }

    enum StopMode: Int, Comparable {
        case none, warm, cold
        static func < (lhs: StopMode, rhs: StopMode) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    private let settings: Settings
    private let pool: any ExecutionPool
    private let logger = Logger(label: "MainProcess")
    private let shared: Mutex<Shared>
    private let wakeup: WakeupPipe
    /// Whether the loop has ended, and who waits for that; one lock so no wake-up is missed.
    private let completion = Mutex<(finished: Bool, waiter: CheckedContinuation<Void, Never>?)>((false, nil))

    init(settings: Settings, pool: any ExecutionPool) throws {
        self.settings = settings
        self.pool = pool
        shared = Mutex(Shared(freeSlots: Array((1...settings.concurrency).reversed())))
        wakeup = try WakeupPipe()
    }

    /// Starts the loop thread.
    func start() {
        let thread = Thread { [self] in
            self.loop()
            let waiter = self.completion.withLock { state -> CheckedContinuation<Void, Never>? in
                state.finished = true
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }
        thread.name = "celeriac-consumer"
        thread.start()
    }

    /// Waits until the loop has ended (after a shutdown).
    func waitUntilFinished() async {
        await withCheckedContinuation { continuation in
            let alreadyDone = completion.withLock { state -> Bool in
                if !state.finished { state.waiter = continuation }
                return state.finished
            }
            if alreadyDone { continuation.resume() }
        }
    }

    /// Warm: stop claiming and finish running tasks (up to the grace period). Cold: give
    /// running tasks back to the queue now.
    func requestStop(_ mode: StopMode) {
        shared.withLock { shared in
            if mode > shared.stop {
                shared.stop = mode
                shared.stopRequestedAt = shared.stopRequestedAt ?? .now
            }
        }
        wakeup.signal()
    }

    // MARK: - Loop

    private func loop() {
        var connection: Connection?
        var backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(5))
        var unwritten: [Completion] = []
        var oldestUnwritten: ContinuousClock.Instant?
        var needClaim = true
        // Whether the database shows this worker as waiting for work (producers NOTIFY only
        // then), and when to look again after it started waiting (see listeningRechecks).
        var listening = false
        var rechecks: [ContinuousClock.Instant] = []
        var nextHeartbeat = ContinuousClock.now + settings.heartbeatInterval
        var nextPoll = ContinuousClock.now + settings.pollInterval
        var nextMaintenance = ContinuousClock.now + .seconds(1)
        // The last moment the database confirmed our leases (a heartbeat or a claim).
        var lastRenewal = ContinuousClock.now
        var lastClaim = ContinuousClock.now
        // Set when a connection broke: the next one must settle claims whose answer was lost.
        var lostConnection = false
        var statistics = (roundTrips: 0, claims: 0, claimed: 0, writes: 0, written: 0)
        // Claim once this many slots are free (or nothing runs): small claims cost a round
        // trip and a commit each, so under load they are gathered into batches.
        let claimThreshold = max(1, min(settings.claimBatch, settings.concurrency / 4))

        while true {
            let live: Connection
            if let connection, connection.isConnected {
                live = connection
            } else {
                do {
                    live = try Connection(url: settings.url, applicationName: settings.applicationName, sessionSetup: Self.sessionSetup)
                    try live.listen(settings.queries.channel)
                    if lostConnection {
                        lostConnection = false
                        logger.info("Reconnected to \(settings.url.masked)")
                        // A claim may have committed while its answer was lost with the connection.
                        try giveBack(on: live, keeping: unwritten.map(\.id), reason: "claimed while the connection was lost")
                    }
                    connection = live
                    backoff.reset()
                    needClaim = true  // catch up on notifications missed while away
                    listening = false
                } catch {
                    let delay = backoff.next()
                    logger.error("consumer: cannot reach the database (\(error)); retrying in \(TaskRunner.format(delay.seconds))s")
                    if ContinuousClock.now - lastRenewal > settings.lease {
                        cancelRunningTasks()
                    }
                    if shared.withLock({ $0.stop == .cold }) { return }
                    Thread.sleep(forTimeInterval: delay.seconds)
                    continue
                }
            }

            do {
                let snapshot = shared.withLock { shared in
                    let taken = shared.completions
                    shared.completions.removeAll(keepingCapacity: true)
                    return (taken, shared.freeSlots.count, shared.running, shared.stop, shared.stopRequestedAt)
                }
                let (taken, free, running, stop, stopRequestedAt) = snapshot
                if !taken.isEmpty {
                    if unwritten.isEmpty { oldestUnwritten = .now }
                    unwritten += taken
                }
                let now = ContinuousClock.now

                if stop != .none {
                    if !unwritten.isEmpty {
                        try write(unwritten, on: live, thenClaim: nil)
                        unwritten.removeAll()
                    }
                    let graceOver = stopRequestedAt.map { now - $0 >= settings.shutdownGrace } ?? false
                    if running == 0 { break }
                    if stop == .cold || graceOver {
                        // Stop taking outcomes from the tasks still running, write the ones that
                        // arrived meanwhile, then give the rest back to the queue.
                        let handles = abandonRunningTasks()
                        let late = shared.withLock { shared in
                            defer { shared.completions.removeAll() }
                            return shared.completions
                        }
                        try write(late, on: live, thenClaim: nil)
                        try giveBack(on: live, keeping: [], reason: "unfinished at shutdown")
                        handles.forEach { $0.cancel() }
                        break
                    }
                }

                if now - lastRenewal > settings.lease {
                    // The process was stopped or starved past its lease: its tasks may already
                    // run elsewhere. Stop them, give back those not rescued yet, then go on.
                    cancelRunningTasks()
                    try giveBack(on: live, keeping: unwritten.map(\.id), reason: "leases not renewed in time")
                }
                if now >= nextHeartbeat || now - lastRenewal > settings.lease {
                    try heartbeat(on: live)
                    lastRenewal = now
                    nextHeartbeat = now + settings.heartbeatInterval
                }
                if let maintenance = settings.maintenance, now >= nextMaintenance {
                    nextMaintenance = now + maintenance.interval
                    try maintenance.runOnce(on: live)
                }

                // One round trip writes every gathered completion and claims for the free slots.
                let claimNow =
                    stop == .none && needClaim && free > 0
                    && (free >= claimThreshold || running == 0 || now - lastClaim >= Self.claimDelay)
                let flushNow =
                    !unwritten.isEmpty
                    && (running == 0 || claimNow || unwritten.count >= settings.completionBatch
                        || oldestUnwritten.map { now - $0 >= Self.flushDelay } ?? false)
                if claimNow || flushNow {
                    let wanted = claimNow ? min(free, settings.claimBatch) : 0
                    let claimed = try write(unwritten, on: live, thenClaim: claimNow ? wanted : nil)
                    statistics.roundTrips += 1
                    if claimNow { statistics.claims += 1; statistics.claimed += claimed.count }
                    if !unwritten.isEmpty { statistics.writes += 1; statistics.written += unwritten.count }
                    unwritten.removeAll(keepingCapacity: true)
                    oldestUnwritten = nil
                    backoff.reset()
                    if claimNow {
                        lastClaim = now
                        dispatch(claimed)
                        needClaim = claimed.count == wanted
                        if needClaim {
                            listening = false
                            rechecks.removeAll()
                        } else {
                            if !listening { rechecks = Self.listeningRechecks.map { now + $0 } }
                            listening = true
                            nextPoll = try nextWake(on: live)
                        }
                    }
                    continue
                }

                var deadline = min(nextHeartbeat, nextPoll)
                if settings.maintenance != nil { deadline = min(deadline, nextMaintenance) }
                if let oldestUnwritten { deadline = min(deadline, oldestUnwritten + Self.flushDelay) }
                if needClaim, free > 0, stop == .none { deadline = min(deadline, lastClaim + Self.claimDelay) }
                if let stopRequestedAt, stop != .none { deadline = min(deadline, stopRequestedAt + settings.shutdownGrace) }
                if let recheck = rechecks.first { deadline = min(deadline, recheck) }
                let outcome = try live.wait(timeout: max(.zero, deadline - now), wakeup: wakeup)
                if outcome.notifications.contains(where: { settings.queues.contains($0.payload) }) {
                    needClaim = true
                }
                if ContinuousClock.now >= nextPoll {
                    needClaim = true
                    nextPoll = ContinuousClock.now + settings.pollInterval
                }
                if let recheck = rechecks.first, ContinuousClock.now >= recheck {
                    needClaim = true
                    rechecks.removeFirst()
                }
            } catch {
                logger.error("consumer: \(error)")
                if let error = error as? PostgresError, error.isConnectionProblem || !live.isConnected {
                    live.close()
                    connection = nil
                    lostConnection = true
                } else {
                    // A statement failed on a healthy connection: do not spin.
                    Thread.sleep(forTimeInterval: backoff.next().seconds)
                }
            }
        }

        logger.info(
            "consumer: \(statistics.roundTrips) round trips; \(statistics.claimed) tasks in \(statistics.claims) claims, \(statistics.written) outcomes in \(statistics.writes) writes"
        )
        do {
            if let connection, connection.isConnected {
                try connection.execute(settings.queries.stopWorker, [settings.owner])
                try settings.maintenance?.lease.release(on: connection)
            }
        } catch {
            logger.warning("consumer: could not mark the worker stopped: \(error)")
        }
        connection?.close()
    }

    /// How long a finished task's outcome may wait for others to share its write.
    static let flushDelay: Duration = .milliseconds(2)
    /// How long free slots may wait for others before a smaller claim is made anyway.
    static let claimDelay: Duration = .milliseconds(20)

    /// When the worker starts waiting for work, it claims again this long after.
    ///
    /// Producers NOTIFY only when a worker of the queue is waiting (migration 0005). The
    /// claim that makes this worker "waiting" cannot see a task whose insert is committing
    /// at that moment, and that insert saw the worker still busy and sent no NOTIFY: such a
    /// task is found by these looks instead of waiting for the poll interval. The second
    /// covers a commit slowed by the disk. Each time the worker turns to waiting the
    /// schedule starts over, so these add at most one claim per 20 ms, whatever the task rate.
    static let listeningRechecks: [Duration] = [.milliseconds(20), .milliseconds(250)]

    /// Session settings that keep a stuck worker from holding locks or snapshots.
    static let sessionSetup = [
        "SET idle_in_transaction_session_timeout = '60s'",
        "SET lock_timeout = '10s'",
        "SET statement_timeout = '60s'",
        "SET plan_cache_mode = force_generic_plan",
    ]

    // MARK: - Steps

    private func claimParameters(_ count: Int) -> [String?] {
        [SQLText.arrayLiteral(strings: settings.queues), String(count), settings.owner, String(settings.lease.seconds)]
    }

    private func claimedTasks(_ rows: QueryResult) -> [ClaimedTask] {
        var claimed: [ClaimedTask] = []
        claimed.reserveCapacity(rows.rowCount)
        for row in 0..<rows.rowCount {
            guard let id = rows.uuid(row, 0) else { continue }
            claimed.append(
                ClaimedTask(
                    id: id,
                    name: rows.string(row, 1) ?? "",
                    args: rows.string(row, 2) ?? "[]",
                    kwargs: rows.string(row, 3) ?? "{}",
                    options: rows.string(row, 4) ?? "{}",
                    attempt: rows.int(row, 5) ?? 1,
                    retries: rows.int(row, 6) ?? 0,
                    maxRetries: rows.int(row, 7),
                    queue: rows.string(row, 8) ?? "",
                    expired: rows.bool(row, 9) ?? false,
                    rootID: rows.uuid(row, 10),
                    parentID: rows.uuid(row, 11)
                )
            )
        }
        return claimed
    }

    private func dispatch(_ tasks: [ClaimedTask]) {
        for task in tasks {
            logger.info("Task \(task.label) received")
            if task.expired {
                logger.info("Discarding revoked task: \(task.label) (expired)")
                let error = ErrorInfo(type: "TaskRevokedError", message: "expired")
                deliver(
                    Completion(
                        id: task.id, attempt: task.attempt, outcome: .revoked, payload: error.json,
                        countdown: 0, runtime: 0, label: task.label), slot: nil)
                continue
            }
            let slot = shared.withLock { shared -> Int in
                shared.running += 1
                return shared.freeSlots.popLast() ?? 0
            }
            let pool = self.pool
            let handle = Task.detached { [self] in
                let completion = await pool.execute(task, slot: slot)
                self.deliver(completion, slot: slot)
            }
            shared.withLock { shared in
                // The task may already have finished and removed nothing; only keep live ones.
                if shared.finishedEarly.remove(task.id) == nil { shared.handles[task.id] = handle }
            }
        }
    }

    /// Called from pool tasks: queue the completion and wake the loop.
    private func deliver(_ completion: Completion, slot: Int?) {
        shared.withLock { shared in
            let abandoned = shared.abandoned.remove(completion.id) != nil
            if !abandoned { shared.completions.append(completion) }
            if let slot {
                shared.running -= 1
                shared.freeSlots.append(slot)
                if !abandoned, shared.handles.removeValue(forKey: completion.id) == nil {
                    shared.finishedEarly.insert(completion.id)
                }
            }
        }
        wakeup.signal()
    }

    /// The lease is surely gone (no renewal for a whole lease): the tasks have been or will
    /// be rescued elsewhere, so stop them; their late writes would be refused anyway.
    private func cancelRunningTasks() {
        let handles = abandonRunningTasks()
        guard !handles.isEmpty else { return }
        logger.error(
            "consumer: leases not renewed for \(TaskRunner.format(settings.lease.seconds))s: cancelling \(handles.count) running task(s)")
        handles.forEach { $0.cancel() }
    }

    /// Forgets the running tasks: their outcomes will not be written. Returns their handles.
    private func abandonRunningTasks() -> [Task<Void, Never>] {
        shared.withLock { shared -> [Task<Void, Never>] in
            shared.abandoned.formUnion(shared.handles.keys)
            defer { shared.handles.removeAll() }
            return Array(shared.handles.values)
        }
    }

    /// Writes `completions` (in batches) and, when `claim` is set, claims that many tasks in
    /// the same round trip and transaction as the last batch (libpq pipeline).
    @discardableResult
    private func write(_ completions: [Completion], on connection: Connection, thenClaim claim: Int?) throws -> [ClaimedTask] {
        var remaining = completions[...]
        while remaining.count > settings.completionBatch {
            let batch = remaining.prefix(settings.completionBatch)
            _ = try writeOrSplit(batch, on: connection, thenClaim: nil)
            remaining = remaining.dropFirst(batch.count)
        }
        return try writeOrSplit(remaining, on: connection, thenClaim: claim)
    }

    private func writeOrSplit(
        _ batch: ArraySlice<Completion>,
        on connection: Connection,
        thenClaim claim: Int?
    ) throws -> [ClaimedTask] {
        do {
            return try writeBatch(batch, on: connection, thenClaim: claim)
        } catch let error as PostgresError where !error.isConnectionProblem && connection.isConnected && !batch.isEmpty {
            // Some outcome cannot be stored (e.g. a value PostgreSQL rejects): write them one by
            // one so the rest go through, and record the bad ones as failures.
            logger.error("consumer: a batch of \(batch.count) results was refused (\(error)); writing them one by one")
            for completion in batch { try writeAlone(completion, on: connection) }
            return try writeBatch([], on: connection, thenClaim: claim)
        }
    }

    private func writeBatch(
        _ remaining: ArraySlice<Completion>,
        on connection: Connection,
        thenClaim claim: Int?
    ) throws -> [ClaimedTask] {
        switch (remaining.isEmpty, claim) {
        case (true, nil):
            return []
        case (true, let count?):
            return claimedTasks(try connection.execute(settings.queries.claim, claimParameters(count)))
        case (false, nil):
            report(remaining, try connection.execute(settings.queries.complete, completeParameters(remaining)))
            return []
        case (false, let count?):
            let results = try connection.pipeline([
                (settings.queries.complete, completeParameters(remaining)),
                (settings.queries.claim, claimParameters(count)),
            ])
            guard results.count == 2 else {
                throw PostgresError(code: .unexpectedResult, message: "pipeline returned \(results.count) results, expected 2")
            }
            report(remaining, results[0])
            return claimedTasks(results[1])
        }
    }

    /// Writes one outcome; if the database refuses it, records a failure saying why instead.
    private func writeAlone(_ completion: Completion, on connection: Connection) throws {
        do {
            report([completion], try connection.execute(settings.queries.complete, completeParameters([completion])))
        } catch let error as PostgresError where !error.isConnectionProblem && connection.isConnected {
            logger.error("Task \(completion.label): its outcome could not be stored: \(error)")
            let failure = Completion(
                id: completion.id, attempt: completion.attempt, outcome: .failed,
                payload: ErrorInfo(type: "ResultNotStorable", message: "the outcome could not be stored: \(error.message)").json,
                countdown: 0, runtime: completion.runtime, label: completion.label
            )
            report([failure], try connection.execute(settings.queries.complete, completeParameters([failure])))
        }
    }

    private func completeParameters(_ batch: ArraySlice<Completion>) -> [String?] {
        [
            SQLText.arrayLiteral(strings: batch.map { $0.id.celeryString }),
            SQLText.arrayLiteral(strings: batch.map { String($0.attempt) }),
            SQLText.arrayLiteral(strings: batch.map(\.outcome.rawValue)),
            SQLText.arrayLiteral(strings: batch.map(\.payload)),
            SQLText.arrayLiteral(strings: batch.map { String($0.countdown) }),
            SQLText.arrayLiteral(strings: batch.map { String($0.runtime) }),
            settings.owner,
            settings.queries.channel,
        ]
    }

    /// Logs completions the database refused: this worker no longer owned those attempts.
    private func report(_ batch: ArraySlice<Completion>, _ rows: QueryResult) {
        guard (rows.int(0, 0) ?? 0) < batch.count else { return }
        let applied = rows.string(0, 1) ?? "{}"
        let accepted = Set(applied.trimmingCharacters(in: CharacterSet(charactersIn: "{}")).split(separator: ",").map(String.init))
        for completion in batch where !accepted.contains(completion.id.celeryString) {
            logger.warning(
                "Task \(completion.label) \(completion.outcome.rawValue) but its lease was lost: the write was refused (the task was rescued or released)"
            )
        }
    }

    /// Renews every lease this worker holds. A running task whose lease was not renewed
    /// was rescued while this worker was slow: it now runs elsewhere, so stop it here.
    private func heartbeat(on connection: Connection) throws {
        let running = shared.withLock { Set($0.handles.keys) }
        let rows = try connection.execute(settings.queries.heartbeat, [settings.owner, String(settings.lease.seconds)])
        guard !running.isEmpty else { return }
        let renewed = Set(
            (rows.string(0, 0) ?? "{}").trimmingCharacters(in: CharacterSet(charactersIn: "{}")).split(separator: ",")
                .compactMap { UUID(uuidString: String($0)) }
        )
        let lost = shared.withLock { shared -> [Task<Void, Never>] in
            // Only tasks that were running before the heartbeat and are still running now.
            let taken = running.subtracting(renewed).filter { shared.handles[$0] != nil }
            shared.abandoned.formUnion(taken)
            return taken.compactMap { shared.handles.removeValue(forKey: $0) }
        }
        guard !lost.isEmpty else { return }
        logger.warning("consumer: \(lost.count) running task(s) lost their lease to a rescue: cancelling them here")
        lost.forEach { $0.cancel() }
    }

    /// When to look again: the next scheduled task's due time, capped by the poll interval.
    private func nextWake(on connection: Connection) throws -> ContinuousClock.Instant {
        let rows = try connection.execute(settings.queries.nextDue, [SQLText.arrayLiteral(strings: settings.queues)])
        let poll = ContinuousClock.now + settings.pollInterval
        guard let seconds = rows.double(0, 0), seconds.isFinite, seconds < settings.pollInterval.seconds else { return poll }
        // Due already but not claimable: locked by another worker's claim. Look again soon.
        return ContinuousClock.now + .fromSeconds(seconds <= 0 ? 0.05 : seconds)
    }

    /// Gives back to the queue every task the database says this worker holds, except
    /// those it is running or has outcomes for (and `written`): claims whose answer was lost
    /// with the connection, or, on a cold stop once running tasks are abandoned, all of them.
    private func giveBack(on connection: Connection, keeping written: [UUID], reason: String) throws {
        let known =
            shared.withLock { shared in
                Array(shared.handles.keys) + shared.completions.map(\.id)
            } + written
        let rows = try connection.execute(
            """
            UPDATE \(settings.queries.schema).tasks
            SET state = CASE WHEN retries > 0 THEN 'retry' ELSE 'queued' END,
                owner = NULL, lease_expires_at = NULL, attempt = greatest(attempt - 1, 0)
            WHERE owner = $1 AND state = 'started' AND NOT (id = ANY($2::uuid[]))
            """,
            [settings.owner, SQLText.arrayLiteral(strings: known.map(\.celeryString))],
            name: "give back"
        )
        if rows.affectedRows > 0 {
            logger.warning("Restored \(rows.affectedRows) task(s) to the queue: \(reason)")
        }
    }
}
