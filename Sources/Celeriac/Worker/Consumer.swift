import CeleriacPostgres
import Foundation
import Logging
import Synchronization

/// The worker's database loop, on its own OS thread and connection: claim → hand to the
/// pool → gather outcomes → write them in batches. It orchestrates parts that each hold one
/// concern and can be tested alone:
///
/// - ``ListeningConnection``: connect, LISTEN, back off, reconnect;
/// - ``ClaimPolicy``: when to claim and how many, when to look again;
/// - ``PrefetchWindow``: how many claimed tasks wait for a slot, so a finishing task's slot
///   starts the next at once;
/// - ``SlotTable``: free slots, running and waiting tasks, delivered outcomes, the stop asked
///   for;
/// - ``CompletionBuffer`` and ``CompletionWriter``: batching and fenced writes (with the
///   next claim in the same round trip);
/// - ``LeaseKeeper``: heartbeats, and stopping tasks whose lease was lost.
///
/// It sleeps in `poll()` on the PostgreSQL socket (woken by NOTIFY) and on a self-pipe (woken
/// by outcomes and stop requests), until the earliest deadline of its parts.
///
/// `@unchecked Sendable`: shared state is in ``SlotTable`` and `finished` (both locked); the
/// connection and the parts' state are touched only by the loop thread.
final class Consumer: @unchecked Sendable {
    struct Settings: Sendable {
        var url: DatabaseURL
        var sql: SchemaSQL
        var queues: [String]
        var owner: String
        var concurrency: Int
        var claimBatch: Int
        var completionBatch: Int
        var pollInterval: Duration
        var heartbeatInterval: Duration
        var lease: Duration
        var shutdownGrace: Duration
        /// Record task events and heartbeats (`-E`, `worker_send_task_events`).
        var sendEvents: Bool = false
        /// Shown in `pg_stat_activity`.
        var applicationName: String = "celeriac-worker"
        /// Task names with relaxed durability and acks_late (``Durability``).
        var relaxedTasks: Set<String> = []
        /// Task names with a rate limit of their own (registered in task_types): the claim
        /// admits them (0029).
        var rateLimitedTasks: [String] = []
        /// The role's own `synchronous_commit`, put back in a transaction that a relaxed
        /// completion turned off when it claims a durable task.
        var synchronousCommit = "on"
    }

    private let settings: Settings
    /// The queues consumed now (add_consumer and cancel_consumer change them).
    private var queues: [String]
    /// Control messages already acted on (or sent before this worker started), by id, with
    /// when they were seen: a message arrives by NOTIFY and again from control_messages.
    private var handledControl: [Int: ContinuousClock.Instant] = [:]
    private let pool: any ExecutionPool
    private let observers: Observers
    private let logger = Logger(label: "MainProcess")
    let slots: SlotTable
    private let wakeup: WakeupPipe
    /// Whether the loop has ended, and who waits for that; one lock so no wake-up is missed.
    private let finished = Mutex<(done: Bool, waiter: CheckedContinuation<Void, Never>?)>((false, nil))

    init(settings: Settings, pool: any ExecutionPool, observers: Observers) throws {
        self.settings = settings
        queues = settings.queues
        self.pool = pool
        self.observers = observers
        slots = SlotTable(concurrency: settings.concurrency)
        wakeup = try WakeupPipe()
    }

    /// Starts the loop thread.
    func start() {
        let thread = Thread { [self] in
            self.loop()
            let waiter = self.finished.withLock { state -> CheckedContinuation<Void, Never>? in
                state.done = true
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }
        thread.name = "celeriac-consumer"
        thread.start()
    }

    /// Waits until the loop has ended (after a stop).
    func waitUntilFinished() async {
        await withCheckedContinuation { continuation in
            let done = finished.withLock { state -> Bool in
                if !state.done { state.waiter = continuation }
                return state.done
            }
            if done { continuation.resume() }
        }
    }

    /// Warm: stop claiming and finish running tasks (up to the grace period). Cold: give
    /// running tasks back to the queue now.
    func requestStop(_ mode: StopMode) {
        slots.requestStop(mode)
        wakeup.signal()
    }

    // MARK: - Loop

    private func loop() {
        let session = ListeningConnection(
            url: settings.url, applicationName: settings.applicationName,
            channels: [settings.sql.topics.wakeup, settings.sql.topics.control],
            sessionSetup: ListeningConnection.consumerSessionSetup, logger: logger)
        var writer = CompletionWriter(
            sql: settings.sql, owner: settings.owner, batchSize: settings.completionBatch, sendEvents: settings.sendEvents,
            relaxedTasks: settings.relaxedTasks, synchronousCommit: settings.synchronousCommit, observers: observers)
        var policy = ClaimPolicy(
            concurrency: settings.concurrency, claimBatch: settings.claimBatch, pollInterval: settings.pollInterval, now: .now)
        var leases = LeaseKeeper(heartbeatInterval: settings.heartbeatInterval, lease: settings.lease, now: .now)
        var buffer = CompletionBuffer(batchSize: settings.completionBatch)
        var hints = ClaimHints()
        var prefetch = PrefetchWindow(now: .now)
        /// Claims made: which queues get the remainder of a claim's shares turns with it.
        var claims = 0

        while true {
            let connection: Connection
            do {
                let live = try session.live()
                connection = live.connection
                if live.reconnected {
                    // A claim may have committed while its answer was lost with the connection.
                    try giveBack(on: connection, keeping: buffer.ids, reason: "claimed while the connection was lost")
                }
                if live.new {
                    policy.reconnected()
                    // Messages sent while the connection was down, or before this worker started.
                    try pendingControl(on: connection, firstTime: handledControl.isEmpty && !live.reconnected)
                }
            } catch {
                let delay = session.nextDelay()
                logger.error("consumer: cannot reach the database (\(error)); retrying in \(TaskRunner.format(delay.seconds))s")
                if leases.lapsed(now: .now) { leases.stopAll(slots, observers: observers, owner: settings.owner) }
                if slots.stopMode == .cold { break }
                Thread.sleep(forTimeInterval: delay.seconds)
                continue
            }

            do {
                let (arrived, state) = slots.take()
                let now = ContinuousClock.now
                buffer.add(arrived, now: now)
                prefetch.finished(arrived.count, now: now)

                if state.stop != .none {
                    try writer.write(buffer.pending, on: connection, thenClaim: nil)
                    buffer.clear()
                    if !slots.dropWaiting().isEmpty {
                        try giveBack(on: connection, keeping: [], reason: "claimed but not started before shutdown")
                    }
                    if state.running == 0 { break }
                    let graceOver = state.stopRequestedAt.map { now - $0 >= settings.shutdownGrace } ?? false
                    if state.stop == .cold || graceOver {
                        try stopRunningTasks(on: connection, writer: &writer)
                        break
                    }
                }

                if leases.lapsed(now: now) {
                    // The process was stopped or starved past its lease: its tasks may already
                    // run elsewhere. Stop them, give back those not rescued yet, then go on.
                    leases.stopAll(slots, observers: observers, owner: settings.owner)
                    try giveBack(on: connection, keeping: buffer.ids, reason: "leases not renewed in time")
                }
                if leases.heartbeatDue(now: now) {
                    let revoked = try leases.renew(
                        on: connection, sql: settings.sql, owner: settings.owner, held: slots.heldIDs + buffer.ids,
                        sendEvents: settings.sendEvents,
                        slots: slots, observers: observers, now: now)
                    for revocation in revoked {
                        revoke([revocation.id], reason: revocation.reason, terminate: revocation.terminate, again: true)
                    }
                    try flushStats(&writer, on: connection)
                    try pendingControl(on: connection, firstTime: false)
                }

                // One round trip writes every gathered outcome and claims for the free slots and
                // the prefetch window (then claiming once half the window is free).
                startWaiting()
                let window = prefetch.size(concurrency: slots.capacity, claimBatch: settings.claimBatch)
                let free = state.stop == .none ? max(0, state.free + window - state.waiting) : 0
                let wanted = policy.claimSize(
                    free: free, running: state.running, now: now, threshold: window > 0 ? max(1, window / 2) : nil)
                if buffer.shouldFlush(running: state.running, claiming: wanted != nil, now: now) || wanted != nil {
                    let keys = hints.keysForClaim(now: now)
                    let asked = wanted.map { hints.claimSize($0, now: now) }
                    let claim = asked.map { claimStatement($0, after: keys, turn: claims) }
                    let claimed = try writer.write(buffer.pending, on: connection, thenClaim: claim)
                    buffer.clear()
                    session.succeeded()
                    if let asked {
                        // The claim's own time when it took rows; else the round trip's.
                        let after = ContinuousClock.now
                        prefetch.claimed(took: after - now)
                        let took = claimed.map { Duration.fromSeconds($0.claimSeconds) }.max() ?? (after - now)
                        hints.claimed(used: keys, took: took, last: Self.lastKeys(claimed), now: after)
                        dispatch(claimed)
                        claims &+= 1
                        let more = claimed.contains { $0.claimMayHaveMore }
                        if policy.claimed(asked: asked, got: claimed.count, more: more, now: now) {
                            let due = try connection.row(nextDueStatement(after: hints.keysForClaim(now: after)), in: settings.sql)
                            policy.scheduleNextPoll(dueIn: due?.seconds, now: .now)
                        }
                    }
                    continue
                }

                var deadline = min(leases.nextHeartbeat, policy.deadline(free: free))
                if let sweep = hints.sweepDue, free > 0, !policy.needClaim { deadline = min(deadline, sweep) }
                if let flush = buffer.deadline { deadline = min(deadline, flush) }
                if let asked = state.stopRequestedAt, state.stop != .none { deadline = min(deadline, asked + settings.shutdownGrace) }
                let outcome = try connection.wait(timeout: max(.zero, deadline - now), wakeup: wakeup)
                var notified = false
                for notification in outcome.notifications {
                    switch settings.sql.topics.message(notification) {
                    case .wakeup(let queue)?: notified = notified || queues.contains(queue)
                    case .control(let target, let body)? where target.includes(settings.owner):
                        try control(body, on: connection)
                    default: break
                    }
                }
                let woke = ContinuousClock.now
                policy.woke(notified: notified || hints.sweepDue.map { woke >= $0 } == true, now: woke)
            } catch {
                logger.error("consumer: \(error)")
                let pause = session.failed(error)
                if pause > .zero { Thread.sleep(forTimeInterval: pause.seconds) }
            }
        }
        finish(session, writer: &writer)
    }

    private func claimStatement(_ count: Int, after keys: [String: ClaimHints.Key], turn: Int) -> SQL.Tasks.Claim {
        let after = ClaimHints.columns(keys)
        return SQL.Tasks.Claim(
            queues: queues, limit: count, owner: settings.owner, leaseSeconds: settings.lease.seconds,
            events: settings.sendEvents, eventsChannel: settings.sql.topics.events,
            relaxedNames: settings.relaxedTasks.sorted(), restoreCommit: nil, afterQueues: after.queues,
            afterPriorities: after.priorities, afterRunAts: after.runAts, afterIds: after.ids, turn: turn % 1_000_000,
            limitedNames: settings.rateLimitedTasks)
    }

    private func nextDueStatement(after keys: [String: ClaimHints.Key]) -> SQL.Tasks.NextDue {
        let after = ClaimHints.columns(keys)
        return SQL.Tasks.NextDue(
            queues: queues, afterQueues: after.queues, afterPriorities: after.priorities, afterRunAts: after.runAts,
            afterIds: after.ids)
    }

    /// The last key a claim took in each queue.
    private static func lastKeys(_ claimed: [ClaimedTask]) -> [String: ClaimHints.Key] {
        var keys: [String: ClaimHints.Key] = [:]
        for task in claimed { if let key = task.claimKey { keys[task.queue] = key } }
        return keys
    }

    /// Adds the outcomes counted since the last heartbeat to `task_stats` (0017).
    private func flushStats(_ writer: inout CompletionWriter, on connection: Connection) throws {
        guard !writer.tally.isEmpty else { return }
        try connection.run(writer.tally.statement(worker: settings.owner), in: settings.sql)
        writer.tally.flushed()
    }

    /// Writes the last counts, marks the worker stopped and closes the session.
    private func finish(_ session: ListeningConnection, writer: inout CompletionWriter) {
        do {
            if let connection = session.current {
                try flushStats(&writer, on: connection)
                try connection.run(SQL.Workers.Stop(id: settings.owner, eventsChannel: settings.sql.topics.events), in: settings.sql)
            }
        } catch {
            logger.warning("consumer: could not mark the worker stopped: \(error)")
        }
        session.close()
    }

    // MARK: - Steps

    /// A control message for this worker: `{"revoke": [ids], "terminate": bool, "reason": text}`
    /// from `celeriac.revoke()`, `{"ping": token}` from `celeriac status` (answered on the
    /// replies topic with this worker's id and load), or `{"id": n, "command": …, "arguments":
    /// {…}}` from `celeriac.control()`.
    private func control(_ body: String, on connection: Connection) throws {
        guard case .object(let fields)? = try? JSONValue(json: body) else {
            logger.warning("consumer: ignoring a control message it does not understand: \(body.prefix(200))")
            return
        }
        if case .array(let ids)? = fields["revoke"] {
            var reason = "revoked"
            if case .string(let text)? = fields["reason"] { reason = text }
            revoke(
                ids.compactMap { if case .string(let id) = $0 { UUID(uuidString: id) } else { nil } }, reason: reason,
                terminate: fields["terminate"] == .bool(true))
        } else if case .string(let token)? = fields["ping"] {
            let state = slots.snapshot
            let reply = JSONValue.object([
                "token": .string(token), "worker": .string(settings.owner), "running": .number(Double(state.running)),
                "free": .number(Double(state.free)), "queues": .array(queues.map(JSONValue.string)),
            ])
            try connection.run(SQL.Workers.Notify(channel: settings.sql.topics.replies, payload: reply.description), in: settings.sql)
        } else if case .number(let id)? = fields["id"], case .string(let command)? = fields["command"] {
            var arguments: [String: JSONValue] = [:]
            if case .object(let given)? = fields["arguments"] { arguments = given }
            try perform(id: Int(id), command: command, arguments: arguments, on: connection)
        } else {
            logger.warning("consumer: ignoring a control message it does not understand: \(body.prefix(200))")
        }
    }

    /// Reads the unexpired control messages for this worker and acts on those not handled
    /// yet; the first time, only notes them (they were sent before this worker started).
    private func pendingControl(on connection: Connection, firstTime: Bool) throws {
        let node = settings.owner.split(separator: "/").first.map(String.init) ?? settings.owner
        let statement = SQL.ControlMessages.Pending(destinations: ["*", node, settings.owner])
        let now = ContinuousClock.now
        for message in try connection.rows(statement, in: settings.sql) {
            if firstTime {
                handledControl[message.id] = now
                continue
            }
            var arguments: [String: JSONValue] = [:]
            if case .object(let given)? = try? JSONValue(json: message.arguments) { arguments = given }
            try perform(id: message.id, command: message.command, arguments: arguments, on: connection)
        }
        // Messages live at most a day (control_messages.prune); forget older ids.
        handledControl = handledControl.filter { now - $0.value < .seconds(86_400) }
        if firstTime, handledControl.isEmpty { handledControl[0] = now }
    }

    /// Acts on control message `id` once.
    private func perform(id: Int, command: String, arguments: [String: JSONValue], on connection: Connection) throws {
        guard handledControl[id] == nil else { return }
        handledControl[id] = .now
        func count() -> Int {
            if case .number(let n)? = arguments["n"], n >= 1 { Int(n) } else { 1 }
        }
        func queue() -> String? {
            if case .string(let name)? = arguments["queue"], (try? QueueName.validate(name)) != nil { name } else { nil }
        }
        switch command {
        case "shutdown":
            logger.warning("worker: Warm shutdown (asked on the control topic)")
            slots.requestStop(.warm)
        case "pool_grow":
            let added = slots.grow(by: count())
            try pool.addSlots(added)
            logger.info("pool: grew by \(count()) to \(slots.capacity) (control)")
            try reconfigured(on: connection)
        case "pool_shrink":
            let before = slots.capacity
            pool.removeSlots(slots.shrink(by: count()))
            logger.info("pool: shrank by \(before - slots.capacity) to \(slots.capacity) (control)")
            try reconfigured(on: connection)
        case "add_consumer":
            guard let name = queue() else { return }
            guard !queues.contains(name) else { return }
            queues.append(name)
            logger.info("consumer: now consuming from \(name) (control)")
            try reconfigured(on: connection)
            wakeup.signal()
        case "cancel_consumer":
            guard let name = queue(), queues.contains(name) else { return }
            queues.removeAll { $0 == name }
            logger.info("consumer: no longer consuming from \(name) (control)")
            try reconfigured(on: connection)
        default:
            logger.warning("consumer: ignoring unknown control command '\(command)'")
        }
    }

    /// Writes the queues and concurrency now in force to the worker's registry row.
    private func reconfigured(on connection: Connection) throws {
        try connection.run(
            SQL.Workers.Reconfigure(id: settings.owner, queues: queues, concurrency: slots.capacity), in: settings.sql)
    }

    /// Stops revoked tasks running here; their outcome is written as revoked. Without
    /// `terminate` a prefork child is asked to cancel the task; with it, killed.
    /// `again`: a revocation found at a heartbeat, whose running task may have missed the first
    /// request (a prefork child asked before it had the task): ask again.
    private func revoke(_ ids: [UUID], reason: String, terminate: Bool = false, again: Bool = false) {
        let stopping = slots.revoke(ids, reason: reason, terminate: terminate)
        if again, !terminate {
            for id in ids where stopping[id] == nil && slots.runningIDs.contains(id) { _ = pool.interrupt(id) }
        }
        for (id, handle) in stopping {
            logger.info("\(terminate ? "Terminating" : "Cancelling") \(id.celeryString): revoked (\(reason))")
            if terminate || !pool.interrupt(id) { handle.cancel() }
        }
    }

    /// Hands claimed tasks to the slots, in claim order, behind those already waiting for one;
    /// an expired task is revoked instead.
    private func dispatch(_ tasks: [ClaimedTask]) {
        var runnable: [ClaimedTask] = []
        for task in tasks {
            logger.info("Task \(task.label) received")
            observers.emit(
                LifecycleEvent(
                    kind: .claimed, worker: settings.owner, taskID: task.id, taskName: task.name, queue: task.queue,
                    attempt: task.attempt, wait: task.wait))
            if task.expired {
                logger.info("Discarding revoked task: \(task.label) (expired)")
                let error = ErrorInfo(type: "TaskRevokedError", message: "expired")
                slots.deliver(Completion(task, .revoked, payload: error.json, runtime: 0), slot: nil)
                continue
            }
            runnable.append(task)
        }
        slots.wait(runnable)
        startWaiting()
    }

    /// Starts waiting tasks while slots are free.
    private func startWaiting() {
        let launcher = Launcher(pool: pool, slots: slots, wakeup: wakeup, observers: observers, worker: settings.owner)
        while let next = slots.nextWaiting() { launcher.launch(next.task, slot: next.slot) }
    }

    /// Runs a task in a slot taken for it. When it ends, the same slot starts the next task
    /// waiting, without waiting for the consumer's thread (busy with a round trip, perhaps).
    private struct Launcher: Sendable {
        let pool: any ExecutionPool
        let slots: SlotTable
        let wakeup: WakeupPipe
        let observers: Observers
        let worker: String

        func launch(_ task: ClaimedTask, slot: Int) {
            observers.emit(Self.event(.started, task, worker: worker))
            let handle = Task.detached { [self] in
                let completion = await pool.execute(task, slot: slot)
                // A slot retired by pool_shrink while its task ran stops here.
                if let retired = slots.deliver(completion, slot: slot).retiredSlot { pool.removeSlots([retired]) }
                if let next = slots.nextWaiting() { launch(next.task, slot: next.slot) }
                wakeup.signal()
            }
            slots.started(task.id, handle: handle)
        }

        static func event(_ kind: LifecycleEvent.Kind, _ task: ClaimedTask, worker: String) -> LifecycleEvent {
            LifecycleEvent(kind: kind, worker: worker, taskID: task.id, taskName: task.name, queue: task.queue, attempt: task.attempt)
        }
    }

    /// Cold stop, or a warm one past its grace: stop taking outcomes from the tasks still
    /// running, write the ones that arrived meanwhile, then give the rest back to the queue.
    private func stopRunningTasks(on connection: Connection, writer: inout CompletionWriter) throws {
        let handles = slots.abandonAll()
        let (late, _) = slots.take()
        try writer.write(late, on: connection, thenClaim: nil)
        try giveBack(on: connection, keeping: [], reason: "unfinished at shutdown")
        handles.forEach { $0.cancel() }
    }

    /// Gives back to the queue every task the database says this worker holds, except those
    /// it is running or has outcomes for (and `written`): claims whose answer was lost with the
    /// connection, or, on a cold stop once running tasks are abandoned, all of them.
    private func giveBack(on connection: Connection, keeping written: [UUID], reason: String) throws {
        let keep = slots.heldIDs + written
        let statement = SQL.Tasks.GiveBack(owner: settings.owner, keep: keep, reason: reason, eventsChannel: settings.sql.topics.events)
        let count = try connection.row(statement, in: settings.sql)?.givenBack ?? 0
        if count > 0 { logger.warning("Restored \(count) task(s) to the queue: \(reason)") }
    }
}
