import Celeriac
import Foundation
import HTTPTypes
import Hummingbird

/// The dashboard's state changes: each a POST of a form carrying the CSRF token, refused in
/// read-only mode, made through the same control functions as the CLI and recorded in the
/// audit log under the signed-in user.
struct Actions: Sendable {
    let dashboard: Dashboard
    var app: CeleriacApp { dashboard.app }

    /// A POSTed form, checked: the CSRF token, a same-origin fetch, and not read-only.
    struct Form: Sendable {
        let fields: [String: String]
        let actor: String
    }

    func form(_ request: Request) async throws -> Form {
        guard !dashboard.settings.readOnly else { throw HTTPError(.forbidden, message: "the dashboard is read-only") }
        // Browsers say where a request comes from: refuse one sent by another site.
        if let name = Self.fetchSite, let site = request.headers[name], !["same-origin", "none"].contains(site) {
            throw HTTPError(.forbidden, message: "cross-site request refused")
        }
        let buffer = try await request.body.collect(upTo: 64 * 1024)
        let fields = Self.parse(String(buffer: buffer))
        guard let token = fields["csrf"], AuthMiddleware<BasicRequestContext>.same(Data(token.utf8), Data(dashboard.csrfToken.utf8))
        else { throw HTTPError(.forbidden, message: "missing or wrong CSRF token: reload the page and try again") }
        return Form(fields: fields, actor: Self.actor(request, auth: dashboard.settings.auth))
    }

    func revoke(_ request: Request, id text: String) async throws -> Response {
        let form = try await form(request)
        let id = try Self.taskID(text)
        let terminate = form.fields["terminate"] == "1"
        _ = try await app.revoke([id], terminate: terminate, reason: "revoked from the dashboard", actor: form.actor)
        return Self.back(to: "/task/\(id.celeryString)")
    }

    func retry(_ request: Request, id text: String) async throws -> Response {
        let form = try await form(request)
        let id = try Self.taskID(text)
        _ = try await app.retry([id], actor: form.actor)
        return Self.back(to: "/task/\(id.celeryString)")
    }

    func queue(_ request: Request, name: String, action: String) async throws -> Response {
        let form = try await form(request)
        do { try QueueName.validate(name) } catch { throw HTTPError(.badRequest, message: "\(error)") }
        switch action {
        case "pause": _ = try await app.pauseQueue(name, actor: form.actor)
        case "resume": _ = try await app.resumeQueue(name, actor: form.actor)
        case "purge":
            guard form.fields["confirm"] == name else {
                throw HTTPError(.badRequest, message: "type the queue's name to confirm the purge")
            }
            _ = try await app.purge(queue: name, actor: form.actor)
        default: throw HTTPError(.notFound)
        }
        return Self.back(to: "/queues")
    }

    func worker(_ request: Request, id: String, action: String) async throws -> Response {
        let form = try await form(request)
        let command: CeleriacApp.ControlCommand
        switch action {
        case "shutdown": command = .shutdown
        case "pool_grow": command = .poolGrow(1)
        case "pool_shrink": command = .poolShrink(1)
        default: throw HTTPError(.notFound)
        }
        _ = try await app.control(command, destination: id, actor: form.actor)
        return Self.back(to: "/workers")
    }

    /// Revokes or retries every task matching the posted filter (at most `Pages.bulkLimit`).
    func bulk(_ request: Request) async throws -> Response {
        let form = try await form(request)
        let filter = Pages.filter { form.fields[$0] }
        let ids = try await Pages(dashboard: dashboard).matching(filter)
        for start in stride(from: 0, to: ids.count, by: 1_000) {
            let chunk = Array(ids[start..<min(start + 1_000, ids.count)])
            switch form.fields["action"] {
            case "revoke": _ = try await app.revoke(chunk, reason: "revoked from the dashboard (bulk)", actor: form.actor)
            case "retry": _ = try await app.retry(chunk, actor: form.actor)
            default: throw HTTPError(.badRequest, message: "action must be revoke or retry")
            }
        }
        return Self.back(to: "/tasks?" + Pages.query(filter))
    }

    func schedule(_ request: Request, name: String, action: String) async throws -> Response {
        let form = try await form(request)
        let found: Bool
        switch action {
        case "enable": found = try await app.enableSchedule(name, true, actor: form.actor)
        case "disable": found = try await app.enableSchedule(name, false, actor: form.actor)
        case "run": found = try await app.runScheduleNow(name, actor: form.actor) != nil
        default: throw HTTPError(.notFound)
        }
        guard found else { throw HTTPError(.notFound, message: "no periodic task named \(name)") }
        return Self.back(to: "/periodic")
    }

    static let fetchSite = HTTPField.Name("Sec-Fetch-Site")

    static func taskID(_ text: String) throws -> UUID {
        guard let id = UUID(uuidString: text) else { throw HTTPError(.notFound, message: "not a task id") }
        return id
    }

    /// 303 See Other: the browser GETs the page again.
    static func back(to path: String) -> Response {
        var headers = HTTPFields()
        headers[.location] = path
        return Response(status: .seeOther, headers: headers)
    }

    /// Who acts, for the audit log: the Basic user, or the kind of credential.
    static func actor(_ request: Request, auth: DashboardSettings.Auth) -> String {
        switch auth {
        case .none: return "dashboard"
        case .bearer: return "dashboard:token"
        case .basic(let user, _): return "dashboard:\(user)"
        }
    }

    /// `application/x-www-form-urlencoded` fields.
    static func parse(_ body: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            fields[decode(parts[0])] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return fields
    }
}
