import Celeriac
import Foundation
import Hummingbird

/// Flower's task listing: `/api/tasks` with its filters, and `/api/task/types`.
extension FlowerAPI {
    /// The most tasks one `/api/tasks` call returns (Flower has no cap; a million rows would
    /// be hundreds of megabytes).
    static let taskListCap = 10_000

    /// `GET /api/tasks?limit=&offset=&sort_by=&workername=&taskname=&state=&received_start=&received_end=&search=`.
    /// An object keyed by task id, in the order asked for (newest first unless `sort_by` is
    /// `received`), each task in Flower's shape. `state` takes Celery's names (`SUCCESS`,
    /// `FAILURE`, `PENDING`…) or Celeriac's; times are `YYYY-MM-DD HH:MM` in UTC.
    func tasks(_ query: Parameters) async throws -> Response {
        func field(_ key: String) -> String? {
            guard let value = query.get(key)?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
            return value
        }
        var filter = CeleriacApp.TaskFilter(
            name: field("taskname"), search: field("search"), worker: field("workername"))
        if let text = field("state") {
            guard let state = Self.state(text) else {
                throw HTTPError(
                    .badRequest,
                    message: "unknown state '\(text)': use PENDING, SCHEDULED, STARTED, RETRY, SUCCESS, FAILURE or REVOKED")
            }
            filter.state = state
        }
        for (key, path) in [("received_start", \CeleriacApp.TaskFilter.since), ("received_end", \.until)] {
            guard let text = field(key) else { continue }
            guard let date = Self.time(text) else {
                throw HTTPError(.badRequest, message: "\(key) must be a UTC time as YYYY-MM-DD HH:MM, got '\(text)'")
            }
            filter[keyPath: path] = date
        }
        switch field("sort_by") {
        case nil, "-received", "-sent", "-timestamp": filter.oldestFirst = false
        case "received", "sent", "timestamp": filter.oldestFirst = true
        case let other?:
            throw HTTPError(
                .badRequest,
                message: "cannot sort by '\(other)': tasks sort by creation time only, received or -received (newest first)")
        }
        let limit =
            try field("limit").map { text in
                guard let n = Int(text), n >= 0 else { throw HTTPError(.badRequest, message: "limit must be a whole number") }
                return min(n, Self.taskListCap)
            } ?? Self.taskListCap
        let offset =
            try field("offset").map { text in
                guard let n = Int(text), n >= 0 else { throw HTTPError(.badRequest, message: "offset must be a whole number") }
                return n
            } ?? 0
        let tasks = try await app.listTasks(filter, limit: limit, skip: offset, preview: app.conf.maxPayloadBytes)
        // A JSON object whose keys keep the list's order, as Flower's (Python dicts keep order).
        let members = tasks.map { task in JSONValue.string(task.id.celeryString).description + ":" + Self.flower(task).description }
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        let body = "{" + members.joined(separator: ",") + "}"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    /// `GET /api/task/types`: `{"task-types": [...]}`, every task name a worker registered.
    func taskTypes() async throws -> Response {
        let names = Set(try await app.registeredTaskTypes().map(\.name)).sorted()
        return Self.json(.object(["task-types": .array(names.map(JSONValue.string))]))
    }

    /// Flower's fields for one task.
    static func flower(_ task: CeleriacApp.ListedTask) -> JSONValue {
        let state = TaskState(databaseValue: task.state, trackStarted: true)
        var fields: [String: JSONValue] = [
            "uuid": .string(task.id.celeryString), "name": .string(task.name), "state": .string(state.celeryName),
            "args": .string(task.args), "kwargs": .string(task.kwargs), "routing_key": .string(task.queue),
            "retries": .number(Double(max(task.attempt - 1, 0))), "worker": task.worker.map(JSONValue.string) ?? .null,
            "received": .number(task.createdAt.timeIntervalSince1970),
            "timestamp": .number((task.finishedAt ?? task.startedAt ?? task.createdAt).timeIntervalSince1970),
            "started": task.startedAt.map { .number($0.timeIntervalSince1970) } ?? .null,
            "runtime": task.runtime.map(JSONValue.number) ?? .null,
            "result": task.result.map(JSONValue.string) ?? .null,
            "exception": task.error.map(JSONValue.string) ?? .null,
        ]
        if let finished = task.finishedAt {
            let key = ["succeeded": "succeeded", "failed": "failed", "revoked": "revoked"][task.state] ?? "timestamp"
            fields[key] = .number(finished.timeIntervalSince1970)
        }
        return .object(fields)
    }

    /// A state from Celery's name or Celeriac's.
    static func state(_ text: String) -> String? {
        let celery = [
            "PENDING": "queued", "RECEIVED": "queued", "SCHEDULED": "scheduled", "STARTED": "started", "RETRY": "retry",
            "SUCCESS": "succeeded", "FAILURE": "failed", "REVOKED": "revoked",
        ]
        if let state = celery[text.uppercased()] { return state }
        return CeleriacApp.TaskFilter.states.contains(text.lowercased()) ? text.lowercased() : nil
    }

    /// `2026-11-30 06:00` (Flower's format), with seconds or an ISO 8601 `T`, read as UTC.
    static func time(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        for format in ["yyyy-MM-dd HH:mm", "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return date }
        }
        return nil
    }

    /// Flower endpoints Celeriac does not offer, with why and what to do instead: 501.
    static func unsupported(_ what: String) -> HTTPError {
        HTTPError(.notImplemented, message: what)
    }
}
