import CeleriacPostgres
import Foundation

/// A handle on a task's outcome (Celery's `AsyncResult`).
///
/// Ids are known before the task exists, so a handle on a chain step not yet inserted
/// reads as ``TaskState/pending``.
///
/// ```swift
/// let r = try await add.delay(7, 11)
/// print(r)                                       // its id, lower case, as logs and the CLI print it
/// print(try await r.state)                       // PENDING, STARTED, SUCCESS…
/// print(try await r.get(timeout: .seconds(10)))  // 18, or throws TimeoutError
/// ```
public struct AsyncResult<Output: Decodable & Sendable>: Sendable, CustomStringConvertible {
    /// The task id. Foundation prints a `UUID` in upper case; `r.id.celeryString` (or
    /// `print(r)`) gives the lower-case form Celeriac's logs, CLI and SQL use.
    public let id: UUID
    /// The app used to read the result.
    public let app: CeleriacApp

    public init(id: UUID, app: CeleriacApp) {
        self.id = id
        self.app = app
    }

    /// The task id in lower case, as Celery's `str(result)` is the id.
    public var description: String { id.celeryString }

    /// A snapshot of the task's state, result and error.
    public struct Snapshot: Sendable {
        /// The state.
        public var state: TaskState
        /// The result as JSON, once succeeded.
        public var resultJSON: String?
        /// The error, once failed or revoked (or the last error while retrying).
        public var error: ErrorInfo?
        /// The task name, when the database knows the task.
        public var name: String?
    }

    /// Reads the task's current state, result and error in one query.
    public func snapshot() async throws -> Snapshot {
        if let ran = app.eagerOutcomes.outcome(id) {
            return Snapshot(state: ran.state, resultJSON: ran.resultJSON, error: ran.error, name: ran.name)
        }
        let sql = try app.sql
        let id = self.id
        return try await app.retryingRun { connection in
            guard let row = try connection.row(SQL.Results.Status(id: id), in: sql) else { return Snapshot(state: .pending) }
            let state = TaskState(databaseValue: row.state, trackStarted: row.trackStarted)
            let error = row.error.flatMap { try? JSONCoding.decode(ErrorInfo.self, from: $0) }
            return Snapshot(state: state, resultJSON: row.result, error: error, name: row.name)
        }
    }

    /// The current state.
    public var state: TaskState {
        get async throws { try await snapshot().state }
    }

    /// Whether the task has finished (succeeded, failed or was revoked).
    public var ready: Bool {
        get async throws { try await snapshot().state.isReady }
    }

    /// Whether the task finished successfully.
    public var successful: Bool {
        get async throws { try await snapshot().state == .success }
    }

    /// The result if the task succeeded, nil if it has not finished; throws
    /// ``TaskFailedError`` if it failed.
    public var result: Output? {
        get async throws {
            let snapshot = try await snapshot()
            return snapshot.state.isReady ? try decode(snapshot) : nil
        }
    }

    /// Waits for the task to finish and returns its result.
    /// - Parameters:
    ///   - timeout: how long to wait (nil waits forever).
    ///   - interval: the first polling interval; it grows to 100 ms while waiting.
    /// - Throws: ``TimeoutError`` when the wait runs out, ``TaskFailedError`` when the
    ///   task failed or was revoked.
    public func get(timeout: Duration? = nil, interval: Duration = .milliseconds(5)) async throws -> Output {
        let clock = ContinuousClock()
        let deadline = timeout.map { clock.now + $0 }
        var delay = interval
        while true {
            let snapshot = try await snapshot()
            if snapshot.state.isReady { return try decode(snapshot) }
            if let deadline, clock.now >= deadline, let timeout {
                throw TimeoutError(taskID: id.celeryString, timeout: timeout, lastState: snapshot.state)
            }
            var sleep = delay
            if let deadline { sleep = min(sleep, max(.zero, deadline - clock.now)) }
            try await Task.sleep(for: sleep)
            delay = min(delay * 2, .milliseconds(100))
        }
    }

    /// Revokes the task (Celery's `revoke`): a waiting task never starts; a running one is
    /// stopped by its worker (cooperatively, or by killing its process in the prefork pool with
    /// `terminate`). Either ends REVOKED with `reason`, and so does the rest of its chain.
    /// - Returns: `revoked`, `revoking` (running: its worker stops it), `already finished` or
    ///   `unknown`, as `celeriac.revoke()` answers.
    @discardableResult
    public func revoke(terminate: Bool = false, reason: String = "revoked") async throws -> String {
        try await app.revoke([id], terminate: terminate, reason: reason).first?.outcome ?? "unknown"
    }

    /// Deletes the stored result (Celery's `forget`).
    public func forget() async throws {
        let sql = try app.sql
        let id = self.id
        try await app.retryingRun { connection in try connection.run(SQL.Results.Forget(id: id), in: sql) }
    }

    func decode(_ snapshot: Snapshot) throws -> Output {
        switch snapshot.state {
        case .success:
            let json = snapshot.resultJSON ?? "null"
            do {
                return try JSONCoding.decode(Output.self, from: json)
            } catch {
                throw ArgumentError("the result of task \(id.celeryString) is \(json.prefix(200)), not a \(Output.self)")
            }
        default:
            throw TaskFailedError(
                taskID: id.celeryString,
                info: snapshot.error ?? ErrorInfo(type: "Unknown", message: "the task ended in \(snapshot.state.celeryName)"),
                state: snapshot.state
            )
        }
    }
}
