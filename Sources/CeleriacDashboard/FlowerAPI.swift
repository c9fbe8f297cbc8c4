import Celeriac
import Foundation
import Hummingbird

/// The JSON API on Flower's paths, so that Flower's API clients keep working.
struct FlowerAPI: Sendable {
    let app: CeleriacApp

    /// 200 "OK" when the database answers, 503 otherwise.
    func healthcheck() async throws -> Response {
        do {
            _ = try await app.sendQuery("SELECT 1")
            return Self.text("OK\n")
        } catch {
            return Self.text("database unreachable\n", status: .serviceUnavailable)
        }
    }

    /// `/api/workers`: each worker by name, with its stats (Flower keys them by node name).
    func workers() async throws -> Response {
        var workers: [String: JSONValue] = [:]
        for worker in try await app.workerStatus() where worker.status != "offline" {
            workers[worker.id] = .object([
                "status": .bool(worker.status == "online"), "state": .string(worker.status),
                "active": .number(Double(worker.active)), "processed": .number(Double(worker.processed)),
                "succeeded": .number(Double(worker.succeeded)), "failed": .number(Double(worker.failed)),
                "retried": .number(Double(worker.retried)), "revoked": .number(Double(worker.revoked)),
                "loadavg": .array([.number(worker.load)]), "heartbeat_age": .number(worker.heartbeatAge),
                "pool": .object(["implementation": .string(worker.pool), "max-concurrency": .number(Double(worker.concurrency))]),
                "active_queues": .array(worker.queues.map { .object(["name": .string($0)]) }),
                "registered": .array(worker.registered.map(JSONValue.string)),
            ])
        }
        return Self.json(.object(workers))
    }

    /// `/api/queues/length`: `{"active_queues": [{"name": …, "messages": …}]}`.
    func queueLengths() async throws -> Response {
        let queues = try await app.queues()
        return Self.json(
            .object([
                "active_queues": .array(
                    queues.map { .object(["name": .string($0.queue), "messages": .number(Double($0.queued + $0.retry))]) })
            ]))
    }

    /// `/api/task/info/ID`.
    func taskInfo(_ text: String) async throws -> Response {
        guard let id = UUID(uuidString: text), let task = try await app.queryTasks([id]).first else {
            throw HTTPError(.notFound, message: "Unknown task '\(text)'")
        }
        let snapshot = try await AsyncResult<JSONValue>(id: id, app: app).snapshot()
        var fields: [String: JSONValue] = [
            "uuid": .string(id.celeryString), "name": .string(task.name), "state": .string(snapshot.state.celeryName),
            "args": (try? JSONValue(json: task.args)) ?? .string(task.args),
            "kwargs": (try? JSONValue(json: task.kwargs)) ?? .string(task.kwargs),
            "worker": task.worker.map(JSONValue.string) ?? .null, "retries": .number(Double(max(task.attempt - 1, 0))),
            "routing_key": .string(task.queue),
        ]
        if let started = task.startedAt { fields["started"] = .number(started.timeIntervalSince1970) }
        if let finished = task.finishedAt { fields["succeeded"] = .number(finished.timeIntervalSince1970) }
        if let result = snapshot.resultJSON { fields["result"] = (try? JSONValue(json: result)) ?? .string(result) }
        if let error = snapshot.error {
            fields["exception"] = .string("\(error.type)('\(error.message)')")
            if let traceback = error.traceback { fields["traceback"] = .string(traceback) }
        }
        return Self.json(.object(fields))
    }

    /// `/api/task/result/ID`: `{"task-id", "state", "result"}`.
    func taskResult(_ text: String) async throws -> Response {
        guard let id = UUID(uuidString: text) else { throw HTTPError(.notFound, message: "Unknown task '\(text)'") }
        let snapshot = try await AsyncResult<JSONValue>(id: id, app: app).snapshot()
        var fields: [String: JSONValue] = ["task-id": .string(id.celeryString), "state": .string(snapshot.state.celeryName)]
        if let result = snapshot.resultJSON {
            fields["result"] = (try? JSONValue(json: result)) ?? .string(result)
        } else if let error = snapshot.error {
            fields["result"] = .string("\(error.type)('\(error.message)')")
        }
        return Self.json(.object(fields))
    }

    static func json(_ value: JSONValue) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: value.description)))
    }

    static func text(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
