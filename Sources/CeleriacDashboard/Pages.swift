import Celeriac
import Foundation
import Hummingbird

/// The HTML pages: each reads what it shows through CeleriacApp (the monitoring views) and
/// hands plain values to its template, which escapes them.
struct Pages: Sendable {
    let dashboard: Dashboard
    var app: CeleriacApp { dashboard.app }

    /// Values longer than this are cut in lists (the task page shows them whole).
    static let preview = 200

    func dashboard() async throws -> Response {
        let workers = try await app.workerStatus()
        let queues = try await app.queues()
        let chart = ThroughputChart(points: try await app.throughput(minutes: 60)).svg()
        return dashboard.page(
            "Dashboard", "dashboard",
            [
                "workersOnline": workers.filter { $0.status == "online" }.count,
                "waiting": queues.map(\.queued).reduce(0, +),
                "running": queues.map(\.started).reduce(0, +),
                "processed15m": queues.map(\.processed15m).reduce(0, +),
                "failed15m": queues.map(\.failed15m).reduce(0, +),
                "chart": chart,
                "workers": workers.map(Self.worker),
            ])
    }

    /// A task filter from query or form fields (unknown states are ignored).
    static func filter(_ value: (String) -> String?) -> CeleriacApp.TaskFilter {
        func field(_ key: String) -> String? {
            guard let text = value(key), !text.isEmpty else { return nil }
            return text
        }
        let state = field("state").flatMap { CeleriacApp.TaskFilter.states.contains($0) ? $0 : nil }
        return CeleriacApp.TaskFilter(
            state: state, name: field("name"), queue: field("queue"), before: field("before").flatMap(UUID.init(uuidString:)),
            after: field("after").flatMap(UUID.init(uuidString:)), search: field("search"), worker: field("worker"),
            since: field("since").flatMap(Self.date), until: field("until").flatMap(Self.date),
            oldestFirst: field("order") == "oldest")
    }

    /// A time from a form: `2026-11-30T06:00` (what browsers' datetime-local sends), with
    /// seconds or not, read as UTC; or a full ISO 8601 time with its zone.
    static func date(_ text: String) -> Date? {
        if let full = ISO8601DateFormatter().date(from: text) { return full }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        for format in ["yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return date }
        }
        return nil
    }

    /// How a time goes back into a form field (UTC, to the minute).
    static func field(_ date: Date?) -> String {
        guard let date else { return "" }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm"
        return formatter.string(from: date)
    }

    /// The query string of a filter (without paging), for links and forms.
    static func query(_ filter: CeleriacApp.TaskFilter, extra: [URLQueryItem] = []) -> String {
        var items = extra
        if let state = filter.state { items.append(URLQueryItem(name: "state", value: state)) }
        if let name = filter.name { items.append(URLQueryItem(name: "name", value: name)) }
        if let queue = filter.queue { items.append(URLQueryItem(name: "queue", value: queue)) }
        if let search = filter.search { items.append(URLQueryItem(name: "search", value: search)) }
        if let worker = filter.worker { items.append(URLQueryItem(name: "worker", value: worker)) }
        if filter.since != nil { items.append(URLQueryItem(name: "since", value: field(filter.since))) }
        if filter.until != nil { items.append(URLQueryItem(name: "until", value: field(filter.until))) }
        if filter.oldestFirst { items.append(URLQueryItem(name: "order", value: "oldest")) }
        var components = URLComponents()
        components.queryItems = items
        return components.percentEncodedQuery ?? ""
    }

    func tasks(_ query: Parameters) async throws -> Response {
        var filter = Self.filter { query.get($0) }
        let state = filter.state
        let limit = 50
        // A text search reads at most one window of tasks from the cursor on: the far end of
        // the window becomes the other bound.
        var windowEnd: UUID?
        if filter.search != nil {
            let start = filter.oldestFirst ? filter.after : filter.before
            windowEnd = try await app.listWindow(
                from: start, size: dashboard.settings.searchWindow, oldestFirst: filter.oldestFirst)
            if let windowEnd {
                if filter.oldestFirst { filter.before = windowEnd } else { filter.after = windowEnd }
            }
        }
        let tasks = try await app.listTasks(filter, limit: limit, preview: Self.preview)
        var pageFilter = filter
        pageFilter.before = nil
        pageFilter.after = nil
        var next: String?
        var searchedTo: String?
        let cursor = filter.oldestFirst ? "after" : "before"
        if tasks.count == limit, let last = tasks.last {
            next = "/tasks?" + Self.query(pageFilter, extra: [URLQueryItem(name: cursor, value: last.id.celeryString)])
        } else if let windowEnd {
            // The window is spent: go on from its far end, which it did not read.
            let from = filter.oldestFirst ? windowEnd.predecessor : windowEnd.successor
            next = "/tasks?" + Self.query(pageFilter, extra: [URLQueryItem(name: cursor, value: from.celeryString)])
            searchedTo = Self.field(windowEnd.uuidV7Date)
        }
        let filtered =
            filter.state != nil || filter.name != nil || filter.queue != nil || filter.search != nil || filter.worker != nil
            || filter.since != nil || filter.until != nil
        var context: [String: Any] = [
            "states": CeleriacApp.TaskFilter.states.map { ["value": $0, "selected": $0 == state] },
            "name": filter.name ?? "", "queue": filter.queue ?? "", "search": filter.search ?? "",
            "worker": filter.worker ?? "", "since": Self.field(filter.since), "until": Self.field(filter.until),
            "oldestFirst": filter.oldestFirst, "filtered": filtered, "filterQuery": Self.query(pageFilter),
            "window": dashboard.settings.searchWindow, "moreLabel": filter.oldestFirst ? "Newer tasks" : "Older tasks",
            "tasks": tasks.map { task -> [String: Any] in
                [
                    "id": task.id.celeryString, "name": task.name, "state": task.state,
                    "args": Self.cut(task.args), "kwargs": Self.cut(task.kwargs), "queue": task.queue,
                    "worker": task.worker ?? "", "attempt": task.attempt,
                    "runtime": task.runtime.map { String(format: "%.3f s", $0) } ?? "",
                ]
            },
        ]
        if let next { context["next"] = next }
        if let searchedTo { context["searchedTo"] = searchedTo }
        return dashboard.page("Tasks", "tasks", context)
    }

    /// The most tasks one bulk action touches.
    static let bulkLimit = 10_000

    /// Every id matching `filter`, newest first, at most ``bulkLimit``.
    func matching(_ filter: CeleriacApp.TaskFilter) async throws -> [UUID] {
        var filter = filter
        filter.before = nil
        filter.after = nil
        filter.oldestFirst = false
        var ids: [UUID] = []
        while ids.count < Self.bulkLimit {
            let wanted = min(1_000, Self.bulkLimit - ids.count)
            let page = try await app.listTasks(filter, limit: wanted, preview: 0)
            ids += page.map(\.id)
            guard page.count == wanted, let last = page.last else { break }
            filter.before = last.id
        }
        return ids
    }

    /// The confirmation step of a bulk revoke or retry: what matches, and the form that does it.
    func confirmBulk(_ query: Parameters) async throws -> Response {
        guard let action = query.get("action"), ["revoke", "retry"].contains(action) else {
            throw HTTPError(.badRequest, message: "action must be revoke or retry")
        }
        var filter = Self.filter { query.get($0) }
        filter.before = nil
        let count = try await matching(filter).count
        return dashboard.page(
            "\(action == "revoke" ? "Revoke" : "Retry") \(count) task(s)?", "bulk",
            [
                "action": action, "count": count, "capped": count >= Self.bulkLimit, "limit": Self.bulkLimit,
                "state": filter.state ?? "", "name": filter.name ?? "", "queue": filter.queue ?? "",
                "search": filter.search ?? "", "worker": filter.worker ?? "", "since": Self.field(filter.since),
                "until": Self.field(filter.until), "back": "/tasks?" + Self.query(filter),
            ])
    }

    func task(_ text: String) async throws -> Response {
        guard let id = UUID(uuidString: text) else { throw HTTPError(.notFound, message: "not a task id") }
        guard let found = try await app.queryTasks([id]).first else { throw HTTPError(.notFound, message: "no such task") }
        let snapshot = try await AsyncResult<JSONValue>(id: id, app: app).snapshot()
        let events = try await app.history(of: id)
        let chain = try await app.chain(of: id)
        var context: [String: Any] = [
            "id": id.celeryString, "name": found.name, "state": snapshot.state.celeryName, "stateClass": found.state,
            "queue": found.queue, "worker": found.worker ?? "", "attempt": found.attempt,
            "args": found.args, "kwargs": found.kwargs,
            "events": events.map { event -> [String: Any] in
                [
                    "at": Self.time(event.at), "kind": event.celeryKind, "attempt": event.attempt.map(String.init) ?? "",
                    "worker": event.worker ?? "", "runtime": event.runtime.map { String(format: "%.6f s", $0) } ?? "",
                    "error": event.error.map { "\($0.type): \($0.message)" } ?? "",
                ]
            },
        ]
        context["chain"] = chain.enumerated().map { index, step -> [String: Any] in
            [
                "id": step.id.celeryString, "name": step.name, "state": step.state, "current": step.id == id,
                "position": index + 1, "sent": step.state != "pending",
            ]
        }
        context["hasChain"] = !chain.isEmpty
        context["running"] = ["queued", "scheduled", "retry", "started"].contains(found.state)
        context["retryable"] = ["failed", "revoked"].contains(found.state)
        if let result = snapshot.resultJSON { context["result"] = result }
        if let error = snapshot.error {
            context["errorType"] = error.type
            context["errorMessage"] = error.message
            if let traceback = error.traceback { context["traceback"] = traceback }
        }
        return dashboard.page("Task \(found.name)", "task", context)
    }

    func queues() async throws -> Response {
        let queues = try await app.queues()
        let throughput = try await app.throughputByQueue(minutes: 60)
        return dashboard.page(
            "Queues", "queues",
            [
                "queues": queues.map { queue -> [String: Any] in
                    [
                        "queue": queue.queue,
                        "link": queue.queue.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "",
                        "queued": queue.queued, "scheduled": queue.scheduled, "retry": queue.retry, "started": queue.started,
                        "oldest": queue.oldestSeconds.map { String(format: "%.1f s", $0) } ?? "",
                        "paused": queue.paused ? "yes" : "no", "toggle": queue.paused ? "resume" : "pause",
                        "workers": queue.workers, "processed1m": queue.processed1m,
                        "processed5m": queue.processed5m, "processed15m": queue.processed15m, "failed15m": queue.failed15m,
                        "chart": ThroughputChart(points: throughput[queue.queue] ?? [], width: 360, height: 70).svg(),
                    ]
                }
            ])
    }

    func workers() async throws -> Response {
        let workers = try await app.workerStatus()
        return dashboard.page("Workers", "workers", ["workers": workers.map(Self.worker)])
    }

    func periodic() async throws -> Response {
        let schedules = try await app.schedules()
        return dashboard.page(
            "Periodic tasks", "periodic",
            [
                "schedules": schedules.map { schedule -> [String: Any] in
                    [
                        "name": schedule.name, "task": schedule.task, "schedule": schedule.schedule,
                        "timeZone": schedule.timeZone, "enabled": schedule.enabled ? "yes" : "no",
                        "toggle": schedule.enabled ? "disable" : "enable",
                        "link": schedule.name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "",
                        "nextRun": schedule.nextRunAt.map(Self.time) ?? "", "lastRun": schedule.lastRunAt.map(Self.time) ?? "",
                        "lateBy": schedule.lateBy > 0 ? String(format: "%.1f s", schedule.lateBy) : "",
                        "runs": schedule.totalRunCount, "lastState": schedule.lastState ?? "", "lastError": schedule.lastError ?? "",
                    ]
                }
            ])
    }

    static func worker(_ worker: CeleriacApp.WorkerStatus) -> [String: Any] {
        [
            "id": worker.id, "status": worker.status, "active": worker.active, "processed": worker.processed,
            "succeeded": worker.succeeded, "failed": worker.failed, "retried": worker.retried,
            "load": String(format: "%.2f", worker.load), "heartbeatAge": String(format: "%.1f", worker.heartbeatAge),
            "pool": worker.pool, "concurrency": worker.concurrency, "queues": worker.queues.joined(separator: ", "),
            "registered": worker.registered.joined(separator: ", "),
            "link": worker.id.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "",
            "live": worker.status == "online" || worker.status == "stale",
        ]
    }

    /// A value cut for a list: at most ``preview`` characters, with an ellipsis.
    static func cut(_ text: String) -> String {
        text.count > preview ? String(text.prefix(preview)) + "…" : text
    }

    static func time(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}
