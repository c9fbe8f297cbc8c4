/// How an error is stored in the database and shown in logs: `Type('message')`.
public struct ErrorInfo: Sendable, Codable, Hashable, CustomStringConvertible {
    /// The error's type name, e.g. `ValueError`.
    public var type: String
    /// Its message.
    public var message: String
    /// Where it happened, when known.
    public var traceback: String?

    public init(type: String, message: String, traceback: String? = nil) {
        self.type = type
        self.message = message
        self.traceback = traceback
    }

    /// Describes any Swift error: its type name and its description.
    public init(_ error: any Error) {
        if let failure = error as? TaskFailedError {
            self = failure.info
            return
        }
        type = String(describing: Swift.type(of: error))
        message = String(describing: error)
        traceback = nil
    }

    /// Celery's form: `ValueError('Ой, упал!')`.
    public var description: String { "\(type)('\(message)')" }

    /// The JSON stored in `error` columns.
    var json: String {
        // Bounded: an error is stored with every failed attempt and must not be a payload.
        var bounded = self
        if bounded.message.utf8.count > 16_384 { bounded.message = String(bounded.message.prefix(16_000)) + "… (truncated)" }
        if let trace = bounded.traceback, trace.utf8.count > 65_536 { bounded.traceback = String(trace.prefix(64_000)) + "… (truncated)" }
        let text = (try? JSONCoding.encode(bounded)) ?? #"{"type":"Error","message":"unencodable error"}"#
        // PostgreSQL's jsonb cannot hold U+0000.
        return text.contains("\\u0000") ? text.replacingOccurrences(of: "\\u0000", with: "\\ufffd") : text
    }
}

/// `get()` on a task that failed: carries the task's stored error.
public struct TaskFailedError: Error, Sendable, CustomStringConvertible {
    /// The task's id.
    public let taskID: String
    /// The error the task ended with.
    public let info: ErrorInfo
    /// The final state (failure or revoked).
    public let state: TaskState

    public var description: String { info.description }
}

/// `get(timeout:)` ran out of time before the task finished.
public struct TimeoutError: Error, Sendable, CustomStringConvertible {
    /// The task waited for.
    public let taskID: String
    /// How long it waited.
    public let timeout: Duration
    /// The task's state when the wait gave up.
    public let lastState: TaskState
    public var description: String {
        "The operation timed out after \(timeout.seconds)s waiting for task \(taskID) (state \(lastState.celeryName))"
    }
}

/// A worker received a task name it has no code for.
public struct NotRegistered: Error, Sendable, CustomStringConvertible {
    /// The unknown name.
    public let name: String
    public var description: String { "task '\(name)' is not registered with this worker" }
}

/// The task's arguments do not match its parameters.
public struct ArgumentError: Error, Sendable, CustomStringConvertible {
    /// What is wrong, naming the argument.
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// `retry()` was asked for after the last allowed retry, without an error to report.
public struct MaxRetriesExceededError: Error, Sendable, CustomStringConvertible {
    /// The task name and id.
    public let task: String
    /// The limit.
    public let maxRetries: Int
    public var description: String { "Can't retry \(task): max retries (\(maxRetries)) exceeded" }
}

/// A task was cancelled because its soft time limit passed.
public struct SoftTimeLimitExceeded: Error, Sendable, CustomStringConvertible {
    /// The limit.
    public let limit: Duration
    public var description: String { "soft time limit (\(limit.seconds)s) exceeded" }
}

/// A producer call was refused before anything was written.
public struct EnqueueError: Error, Sendable, CustomStringConvertible {
    /// Why.
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension ErrorInfo {
    /// Reads `{type, message, traceback}` as stored in `error` columns; anything else is kept
    /// whole as the message.
    static func stored(_ json: String) -> ErrorInfo {
        (try? JSONCoding.decode(ErrorInfo.self, from: json)) ?? ErrorInfo(type: "Error", message: json)
    }
}
