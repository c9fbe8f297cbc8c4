/// Where a task is in its life. ``celeryName`` gives Celery's spelling.
public enum TaskState: String, Sendable, Codable, CaseIterable {
    /// Unknown to the database yet, or waiting in the queue (Celery: `PENDING`).
    case pending
    /// Waiting for its countdown or eta (Celery reports `PENDING`; `SCHEDULED` in Celeriac).
    case scheduled
    /// Claimed by a worker and running (`STARTED`; reported only with `task_track_started`).
    case started
    /// Failed an attempt and waiting to run again (`RETRY`).
    case retry
    /// Finished with a result (`SUCCESS`).
    case success
    /// Finished with an error (`FAILURE`).
    case failure
    /// Cancelled or expired before it could run (`REVOKED`).
    case revoked

    /// Celery's name for the state.
    public var celeryName: String {
        switch self {
        case .pending: "PENDING"
        case .scheduled: "SCHEDULED"
        case .started: "STARTED"
        case .retry: "RETRY"
        case .success: "SUCCESS"
        case .failure: "FAILURE"
        case .revoked: "REVOKED"
        }
    }

    /// Whether the task will not change any more (Celery's `ready()`).
    public var isReady: Bool { self == .success || self == .failure || self == .revoked }

    /// Maps a `state` column value to the API state.
    package init(databaseValue: String, trackStarted: Bool) {
        switch databaseValue {
        case "queued": self = .pending
        case "scheduled": self = .scheduled
        case "retry": self = .retry
        case "started": self = trackStarted ? .started : .pending
        case "succeeded": self = .success
        case "failed": self = .failure
        case "revoked": self = .revoked
        default: self = .pending
        }
    }
}
