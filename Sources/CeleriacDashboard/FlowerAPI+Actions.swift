import Celeriac
import Foundation
import Hummingbird

/// Flower's state-changing API paths. API clients authenticate with the dashboard's
/// credentials and carry no CSRF token, so a request a browser marks as cross-site
/// (`Sec-Fetch-Site`, or an `Origin` other than the host) is refused, as is any in read-only
/// mode. Changes are audited under the signed-in user.
extension FlowerAPI {
    func guarded(_ request: Request, settings: DashboardSettings) throws -> String {
        guard !settings.readOnly else { throw HTTPError(.forbidden, message: "the dashboard is read-only") }
        if let name = Actions.fetchSite, let site = request.headers[name], !["same-origin", "none"].contains(site) {
            throw HTTPError(.forbidden, message: "cross-site request refused")
        }
        if let origin = request.headers[.origin], let host = request.head.authority,
            URL(string: origin)?.host.map({ host == $0 || host.hasPrefix($0 + ":") }) != true
        {
            throw HTTPError(.forbidden, message: "cross-origin request refused")
        }
        return Actions.actor(request, auth: settings.auth)
    }

    /// `POST /api/task/revoke/ID[?terminate=true]`.
    func revoke(_ request: Request, id text: String, settings: DashboardSettings) async throws -> Response {
        let actor = try guarded(request, settings: settings)
        guard let id = UUID(uuidString: text) else { throw HTTPError(.badRequest, message: "'\(text)' is not a task id") }
        let terminate = ["true", "1", "yes"].contains(request.uri.queryParameters.get("terminate")?.lowercased() ?? "")
        let outcome = try await app.revoke([id], terminate: terminate, reason: "revoked through the API", actor: actor)
        return Self.json(
            .object([
                "message": .string("Revoked '\(id.celeryString)'"), "outcome": .string(outcome.first?.outcome ?? "unknown"),
            ]))
    }

    /// `POST /api/task/async-apply/NAME` and `/api/task/send-task/NAME`, with an optional JSON
    /// body `{"args": [...], "kwargs": {...}, "countdown": s, "queue": "...", "priority": n}`.
    func apply(_ request: Request, name: String, settings: DashboardSettings) async throws -> Response {
        _ = try guarded(request, settings: settings)
        let buffer = try await request.body.collect(upTo: app.conf.maxPayloadBytes + 4096)
        var fields: [String: JSONValue] = [:]
        if buffer.readableBytes > 0 {
            guard case .object(let given)? = try? JSONValue(json: String(buffer: buffer)) else {
                throw HTTPError(.badRequest, message: "the body must be a JSON object: {\"args\": [...], \"kwargs\": {...}}")
            }
            fields = given
        }
        var options = CallOptions()
        if case .number(let countdown)? = fields["countdown"] { options.countdown = .milliseconds(Int64(countdown * 1000)) }
        if case .string(let queue)? = fields["queue"] { options.queue = queue }
        if case .number(let priority)? = fields["priority"] { options.priority = Int(priority) }
        if let kwargs = fields["kwargs"] { options.kwargs = kwargs.description }
        let args = fields["args"]?.description ?? "[]"
        do {
            let result = try await app.sendTask(name, args: args, options: options)
            return Self.json(.object(["task-id": .string(result.id.celeryString), "state": .string("PENDING")]))
        } catch let error as EnqueueError {
            throw HTTPError(.badRequest, message: error.message)
        }
    }

    /// `POST /api/worker/shutdown/NAME`, `/api/worker/pool/grow/NAME?n=1`,
    /// `/api/worker/pool/shrink/NAME?n=1`, `/api/worker/queue/add-consumer/NAME?queue=Q`,
    /// `/api/worker/queue/cancel-consumer/NAME?queue=Q`.
    func control(_ request: Request, command name: String, worker: String, settings: DashboardSettings) async throws
        -> Response
    {
        let actor = try guarded(request, settings: settings)
        let query = request.uri.queryParameters
        let n = query.get("n").flatMap(Int.init) ?? 1
        guard n >= 1 else { throw HTTPError(.badRequest, message: "n must be at least 1") }
        let command: CeleriacApp.ControlCommand
        switch name {
        case "shutdown": command = .shutdown
        case "grow": command = .poolGrow(n)
        case "shrink": command = .poolShrink(n)
        case "add-consumer", "cancel-consumer":
            guard let queue = query.get("queue"), (try? QueueName.validate(queue)) != nil else {
                throw HTTPError(.badRequest, message: "a valid queue name is needed: ?queue=NAME")
            }
            command = name == "add-consumer" ? .addConsumer(queue) : .cancelConsumer(queue)
        case "restart":
            throw Self.unsupported("pool restart: a worker does not reload code; restart it (shutdown, then its supervisor starts it)")
        case "autoscale":
            throw Self.unsupported("autoscale: set the size with pool/grow and pool/shrink")
        default: throw HTTPError(.notFound)
        }
        _ = try await app.control(command, destination: worker, actor: actor)
        return Self.json(.object(["message": .string("Sent \(command) to \(worker)")]))
    }
}
