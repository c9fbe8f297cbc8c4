import Celeriac
import Foundation
import Hummingbird
import Logging
import Mustache

/// Celeriac's web dashboard: pages rendered on the server from the monitoring views, and a
/// JSON API on Flower's paths. `celeriac monitor` serves it; an application can mount
/// ``router()`` in its own Hummingbird app, or add ``addRoutes(to:)`` to a router of its own.
///
/// ```swift
/// let dashboard = try Dashboard(app: app, settings: DashboardSettings(port: 5555))
/// try await dashboard.run()
/// ```
public struct Dashboard: Sendable {
    public let app: CeleriacApp
    public let settings: DashboardSettings
    let library: MustacheLibrary
    /// What every form carries, checked on every POST: random for each dashboard, so a page
    /// of another site cannot know it.
    let csrfToken: String

    /// The CSRF token, for tests that post without reading a page first.
    package var csrfTokenForTests: String { csrfToken }

    /// - Throws: ``ConfigurationError`` for settings that may not be served (a non-loopback
    ///   address without authentication).
    public init(app: CeleriacApp, settings: DashboardSettings) throws {
        try settings.validate()
        self.app = app
        self.settings = settings
        library = try Templates.library()
        csrfToken = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
    }

    /// A router serving the dashboard, with authentication and security headers.
    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: SecurityHeadersMiddleware())
        router.add(middleware: AuthMiddleware(auth: settings.auth))
        addRoutes(to: router)
        return router
    }

    /// Adds the dashboard's routes to `router` (its middleware is the caller's).
    public func addRoutes<Context: RequestContext>(to router: Router<Context>) {
        let pages = Pages(dashboard: self)
        router.get("/") { _, _ in try await pages.dashboard() }
        router.get("/tasks") { request, _ in try await pages.tasks(request.uri.queryParameters) }
        router.get("/tasks/bulk") { request, _ in try await pages.confirmBulk(request.uri.queryParameters) }
        router.get("/task/{id}") { _, context in try await pages.task(context.parameters.require("id")) }
        router.get("/queues") { _, _ in try await pages.queues() }
        router.get("/workers") { _, _ in try await pages.workers() }
        router.get("/periodic") { _, _ in try await pages.periodic() }
        router.get("/static/celeriac.css") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/css; charset=utf-8"
            headers[.cacheControl] = "max-age=300"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: Stylesheet.css)))
        }
        router.get("/static/celeriac.js") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/javascript; charset=utf-8"
            headers[.cacheControl] = "max-age=300"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: Script.js)))
        }
        let app = self.app
        let broadcast = LiveUpdates.broadcast(app: app)
        router.get("/events/stream") { _, _ in LiveUpdates.stream(from: broadcast) }
        let actions = Actions(dashboard: self)
        router.post("/tasks/bulk") { request, _ in try await actions.bulk(request) }
        router.post("/task/{id}/revoke") { request, context in try await actions.revoke(request, id: context.parameters.require("id")) }
        router.post("/task/{id}/retry") { request, context in try await actions.retry(request, id: context.parameters.require("id")) }
        router.post("/queues/{name}/{action}") { request, context in
            try await actions.queue(request, name: context.parameters.require("name"), action: context.parameters.require("action"))
        }
        router.post("/workers/{id}/{action}") { request, context in
            try await actions.worker(request, id: context.parameters.require("id"), action: context.parameters.require("action"))
        }
        router.post("/periodic/{name}/{action}") { request, context in
            try await actions.schedule(request, name: context.parameters.require("name"), action: context.parameters.require("action"))
        }
        let api = FlowerAPI(app: app)
        router.get("/healthcheck") { _, _ in try await api.healthcheck() }
        let metrics = PrometheusMetrics(app: app)
        router.get("/metrics") { _, _ in try await metrics.scrape() }
        router.get("/api/workers") { _, _ in try await api.workers() }
        router.get("/api/queues/length") { _, _ in try await api.queueLengths() }
        router.get("/api/tasks") { request, _ in try await api.tasks(request.uri.queryParameters) }
        router.get("/api/task/types") { _, _ in try await api.taskTypes() }
        router.get("/api/task/info/{id}") { _, context in try await api.taskInfo(context.parameters.require("id")) }
        router.get("/api/task/result/{id}") { _, context in try await api.taskResult(context.parameters.require("id")) }
        let settings = self.settings
        router.post("/api/task/revoke/{id}") { request, context in
            try await api.revoke(request, id: context.parameters.require("id"), settings: settings)
        }
        router.post("/api/task/async-apply/{name}") { request, context in
            try await api.apply(request, name: context.parameters.require("name"), settings: settings)
        }
        router.post("/api/task/send-task/{name}") { request, context in
            try await api.apply(request, name: context.parameters.require("name"), settings: settings)
        }
        router.post("/api/worker/shutdown/{worker}") { request, context in
            try await api.control(request, command: "shutdown", worker: context.parameters.require("worker"), settings: settings)
        }
        router.post("/api/worker/pool/{command}/{worker}") { request, context in
            try await api.control(
                request, command: context.parameters.require("command"), worker: context.parameters.require("worker"),
                settings: settings)
        }
        router.post("/api/task/timeout/{name}") { _, _ -> Response in
            throw FlowerAPI.unsupported(
                "time limits are set per task type in code (timeLimit, softTimeLimit) or for a worker with CELERIAC_TASK_TIME_LIMIT, not at run time"
            )
        }
        router.post("/api/task/rate-limit/{name}") { _, _ -> Response in
            throw FlowerAPI.unsupported("per-task rate limits are not available in this version of Celeriac")
        }
        router.post("/api/worker/queue/{command}/{worker}") { request, context in
            try await api.control(
                request, command: context.parameters.require("command"), worker: context.parameters.require("worker"),
                settings: settings)
        }
    }

    /// Serves until SIGTERM or SIGINT.
    public func run() async throws {
        try await service().runService()
    }

    /// The dashboard as a swift-service-lifecycle `Service` (a Hummingbird application on
    /// the settings' address), to run in your own `ServiceGroup` beside a worker or your web
    /// server: it stops taking requests on the group's graceful shutdown.
    public func service() -> some ApplicationProtocol {
        Application(
            router: router(),
            configuration: ApplicationConfiguration(address: .hostname(settings.host, port: settings.port), serverName: "Celeriac"),
            logger: Logger(label: "Dashboard")
        )
    }

    /// Renders `template` into the layout.
    func page(_ title: String, _ template: String, _ context: [String: Any]) -> Response {
        var context = context
        context["csrf"] = csrfToken
        context["canAct"] = !settings.readOnly
        let body = library.render(context, withTemplate: template) ?? ""
        let html = library.render(["title": title, "body": body, "readOnly": settings.readOnly], withTemplate: "layout") ?? ""
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}
