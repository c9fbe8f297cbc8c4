import CeleriacPostgres
import Foundation

/// A handle on a group's outcome (Celery's `GroupResult`): its members' results, in member
/// order, read together in one statement.
///
/// ```swift
/// let sums = try await group((0..<10).map { add.s($0, $0) }).delay()
/// print(try await sums.completedCount)          // how many succeeded so far
/// print(try await sums.get(timeout: .seconds(10)))
/// let same = try await GroupResult<Int>.restore(sums.id, app: app)  // from another process
/// ```
public struct GroupResult<Output: Decodable & Sendable>: Sendable, CustomStringConvertible {
    /// The group's id (the key of its row in `groups`).
    public let id: UUID
    /// The members' task ids, in member order.
    public let ids: [UUID]
    /// The app used to read the results.
    public let app: CeleriacApp

    public init(id: UUID, ids: [UUID], app: CeleriacApp) {
        self.id = id
        self.ids = ids
        self.app = app
    }

    /// The group id in lower case.
    public var description: String { id.celeryString }

    /// Each member's result handle, in member order.
    public var results: [AsyncResult<Output>] { ids.map { AsyncResult(id: $0, app: app) } }

    /// The group saved under `id` (every group is saved when it is sent), or nil when there is
    /// none (never sent, or forgotten after result_expires).
    public static func restore(_ id: UUID, app: CeleriacApp) async throws -> GroupResult? {
        let sql = try app.sql
        let members = try await app.retryingRun { connection in
            try connection.row(SQL.Groups.Members(id: id), in: sql)?.taskIds
        }
        return members.map { GroupResult(id: id, ids: $0, app: app) }
    }

    /// Every member's state, result and error, in member order, from one statement.
    public func snapshots() async throws -> [AsyncResult<Output>.Snapshot] {
        if !app.eagerOutcomes.isEmpty {
            let ran = ids.compactMap(app.eagerOutcomes.outcome)
            if ran.count == ids.count {
                return ran.map { AsyncResult<Output>.Snapshot(state: $0.state, resultJSON: $0.resultJSON, error: $0.error, name: $0.name) }
            }
        }
        let sql = try app.sql
        let ids = self.ids
        return try await app.retryingRun { connection in
            try connection.rows(SQL.Results.Statuses(ids: ids), in: sql).map { row in
                AsyncResult<Output>.Snapshot(
                    state: TaskState(databaseValue: row.state, trackStarted: row.trackStarted), resultJSON: row.result,
                    error: row.error.flatMap { try? JSONCoding.decode(ErrorInfo.self, from: $0) })
            }
        }
    }

    /// How many members succeeded (Celery's `completed_count()`).
    public var completedCount: Int {
        get async throws { try await snapshots().filter { $0.state == .success }.count }
    }

    /// Whether every member has finished (succeeded, failed or was revoked).
    public var ready: Bool {
        get async throws { try await snapshots().allSatisfy(\.state.isReady) }
    }

    /// Whether every member succeeded.
    public var successful: Bool {
        get async throws { try await snapshots().allSatisfy { $0.state == .success } }
    }

    /// Whether some member failed or was revoked.
    public var failed: Bool {
        get async throws { try await snapshots().contains { $0.state == .failure || $0.state == .revoked } }
    }

    /// Waits for every member and returns their results in member order.
    /// - Parameters:
    ///   - timeout: how long to wait for all of them (nil waits forever).
    ///   - interval: the first polling interval; it grows to 100 ms while waiting.
    /// - Throws: ``TaskFailedError`` for the first member (in member order) that failed or was
    ///   revoked, as soon as one has (Celery's `propagate=True`); ``TimeoutError`` naming the
    ///   first member not finished when the wait runs out.
    public func get(timeout: Duration? = nil, interval: Duration = .milliseconds(5)) async throws -> [Output] {
        let clock = ContinuousClock()
        let deadline = timeout.map { clock.now + $0 }
        var delay = interval
        let handles = results
        while true {
            let snapshots = try await snapshots()
            for (handle, snapshot) in zip(handles, snapshots) where snapshot.state == .failure || snapshot.state == .revoked {
                _ = try handle.decode(snapshot)
            }
            if snapshots.allSatisfy(\.state.isReady) {
                return try zip(handles, snapshots).map { try $0.decode($1) }
            }
            if let deadline, clock.now >= deadline, let timeout {
                let waiting = zip(ids, snapshots).first { !$0.1.state.isReady }
                throw TimeoutError(
                    taskID: waiting?.0.celeryString ?? id.celeryString, timeout: timeout, lastState: waiting?.1.state ?? .pending)
            }
            var sleep = delay
            if let deadline { sleep = min(sleep, max(.zero, deadline - clock.now)) }
            try await Task.sleep(for: sleep)
            delay = min(delay * 2, .milliseconds(100))
        }
    }

    /// Revokes every member (Celery's `GroupResult.revoke`); members already finished stay as
    /// they are.
    public func revoke(terminate: Bool = false, reason: String = "revoked") async throws {
        _ = try await app.revoke(ids, terminate: terminate, reason: reason)
    }
}
