import CeleriacPostgres
import Foundation
import Logging

/// Writes outcomes with `tasks.complete` (sql/queries/tasks.sql), fenced by owner and attempt,
/// and claims with `tasks.claim` in the same round trip and transaction when asked (libpq
/// pipeline): one round trip per loop turn under load.
///
/// A batch the database refuses (e.g. a value PostgreSQL cannot store) is written again one
/// outcome at a time, so the rest go through, and an outcome that still cannot be stored is
/// recorded as a failure saying why. Outcomes the fence refused (this worker no longer owned
/// the attempt) are logged and reported as ``LifecycleEvent/Kind/leaseLost``; accepted ones
/// as their outcome.
struct CompletionWriter: Sendable {
    let sql: SchemaSQL
    /// This worker's lease owner id.
    let owner: String
    /// The most outcomes in one statement.
    let batchSize: Int
    /// Record an event per outcome (`-E`).
    let sendEvents: Bool
    /// Task names with relaxed durability and acks_late: a batch made only of them commits
    /// without waiting for the disk (``Durability``).
    let relaxedTasks: Set<String>
    /// The session's own `synchronous_commit`, which a claim behind a relaxed batch puts back
    /// if it takes a durable task.
    let synchronousCommit: String
    let observers: Observers
    /// The outcomes stored so far, for `task_stats` (written at each heartbeat).
    var tally = TaskStatsTally()
    private let logger = Logger(label: "MainProcess")

    init(
        sql: SchemaSQL, owner: String, batchSize: Int, sendEvents: Bool = false, relaxedTasks: Set<String> = [],
        synchronousCommit: String = "on", observers: Observers
    ) {
        self.sql = sql
        self.owner = owner
        self.batchSize = batchSize
        self.sendEvents = sendEvents
        self.relaxedTasks = relaxedTasks
        self.synchronousCommit = synchronousCommit
        self.observers = observers
    }

    /// Whether `batch` may commit without waiting for the disk: every outcome in it is of a
    /// relaxed task.
    func isRelaxed(_ batch: ArraySlice<Completion>) -> Bool {
        !relaxedTasks.isEmpty && !batch.isEmpty && batch.allSatisfy { relaxedTasks.contains($0.name) }
    }

    /// Writes `completions` (in batches) and, when `claim` is set, claims in the same round
    /// trip and transaction as the last batch. Returns the tasks claimed.
    @discardableResult
    mutating func write(_ completions: [Completion], on connection: Connection, thenClaim claim: SQL.Tasks.Claim?) throws
        -> [ClaimedTask]
    {
        var remaining = completions[...]
        while remaining.count > batchSize {
            let batch = remaining.prefix(batchSize)
            _ = try writeOrSplit(batch, on: connection, thenClaim: nil)
            remaining = remaining.dropFirst(batch.count)
        }
        return try writeOrSplit(remaining, on: connection, thenClaim: claim)
    }

    private mutating func writeOrSplit(_ batch: ArraySlice<Completion>, on connection: Connection, thenClaim claim: SQL.Tasks.Claim?)
        throws -> [ClaimedTask]
    {
        do {
            return try writeBatch(batch, on: connection, thenClaim: claim)
        } catch let error as PostgresError where !error.isConnectionProblem && connection.isConnected && !batch.isEmpty {
            logger.error("consumer: a batch of \(batch.count) results was refused (\(error)); writing them one by one")
            for completion in batch { try writeAlone(completion, on: connection) }
            return try writeBatch([], on: connection, thenClaim: claim)
        }
    }

    private mutating func writeBatch(_ batch: ArraySlice<Completion>, on connection: Connection, thenClaim claim: SQL.Tasks.Claim?)
        throws -> [ClaimedTask]
    {
        switch (batch.isEmpty, claim) {
        case (true, nil):
            return []
        case (true, let claim?):
            return try connection.rows(claim, in: sql).map(ClaimedTask.init)
        case (false, nil):
            try report(batch, connection.rows(statement(for: batch), in: sql))
            return []
        case (false, var claim?):
            // One transaction: a claim behind a relaxed batch commits durably again if it takes
            // a durable task.
            if isRelaxed(batch) { claim.restoreCommit = synchronousCommit }
            let results = try connection.pipeline([sql.bind(statement(for: batch)), sql.bind(claim)])
            guard results.count == 2 else {
                throw PostgresError(code: .unexpectedResult, message: "pipeline returned \(results.count) results, expected 2")
            }
            try report(batch, SQL.Tasks.Complete.Row.decode(results[0], query: SQL.Tasks.Complete.query))
            return try SQL.Tasks.Claim.Row.decode(results[1], query: SQL.Tasks.Claim.query).map(ClaimedTask.init)
        }
    }

    /// Writes one outcome; if the database refuses it, records a failure saying why instead.
    private mutating func writeAlone(_ completion: Completion, on connection: Connection) throws {
        do {
            try report([completion], connection.rows(statement(for: [completion]), in: sql))
        } catch let error as PostgresError where !error.isConnectionProblem && connection.isConnected {
            logger.error("Task \(completion.label): its outcome could not be stored: \(error)")
            let info = ErrorInfo(type: "ResultNotStorable", message: "the outcome could not be stored: \(error.message)")
            let failure = completion.replaced(by: .failed, payload: info.json)
            try report([failure], connection.rows(statement(for: [failure]), in: sql))
        }
    }

    private func statement(for batch: ArraySlice<Completion>) -> SQL.Tasks.Complete {
        SQL.Tasks.Complete(
            ids: batch.map(\.id), attempts: batch.map(\.attempt), outcomes: batch.map(\.outcome.rawValue),
            payloads: batch.map(\.payload), countdowns: batch.map(\.countdown), runtimes: batch.map(\.runtime),
            owner: owner, channel: sql.topics.wakeup, events: sendEvents, eventsChannel: sql.topics.events,
            relaxed: isRelaxed(batch)
        )
    }

    /// Logs outcomes the fence refused and reports the accepted ones to the observers.
    private mutating func report(_ batch: ArraySlice<Completion>, _ rows: [SQL.Tasks.Complete.Row]) {
        let refused = Set(rows.first?.refused ?? [])
        if refused.isEmpty {
            for completion in batch { tally.add(completion) }
        } else {
            for completion in batch where !refused.contains(completion.id) { tally.add(completion) }
        }
        if refused.isEmpty, observers.all.isEmpty { return }
        for completion in batch {
            guard !refused.contains(completion.id) else {
                logger.warning(
                    "Task \(completion.label) \(completion.outcome.rawValue) but its lease was lost: the write was refused (the task was rescued or released)"
                )
                observers.emit(
                    LifecycleEvent(
                        kind: .leaseLost, worker: owner, taskID: completion.id, taskName: completion.name,
                        queue: completion.queue, attempt: completion.attempt, runtime: completion.runtime))
                continue
            }
            observers.emit(event(for: completion))
        }
    }

    private func event(for completion: Completion) -> LifecycleEvent {
        let kind: LifecycleEvent.Kind
        switch completion.outcome {
        case .succeeded, .ignored: kind = .succeeded
        case .failed: kind = .failed
        case .retry: kind = .retried
        case .snoozed: kind = .snoozed
        case .revoked: kind = .revoked
        }
        return LifecycleEvent(
            kind: kind, worker: owner, taskID: completion.id, taskName: completion.name, queue: completion.queue,
            attempt: completion.attempt, runtime: completion.runtime,
            error: kind == .succeeded ? nil : try? JSONCoding.decode(ErrorInfo.self, from: completion.payload)
        )
    }
}
