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

    /// - Throws: ``ConfigurationError`` for settings that may not be served (a non-loopback
    ///   address without authentication).
    public init(app: CeleriacApp, settings: DashboardSettings) throws {
        try settings.validate()
        self.app = app
        self.settings = settings
        library = try Templates.library()
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
        router.get("/task/{id}") { _, context in try await pages.task(context.parameters.require("id")) }
        router.get("/queues") { _, _ in try await pages.queues() }
        router.get("/workers") { _, _ in try await pages.workers() }
        router.get("/static/celeriac.css") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/css; charset=utf-8"
            headers[.cacheControl] = "max-age=300"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: Stylesheet.css)))
        }
        let api = FlowerAPI(app: app)
        router.get("/healthcheck") { _, _ in try await api.healthcheck() }
        router.get("/api/workers") { _, _ in try await api.workers() }
        router.get("/api/queues/length") { _, _ in try await api.queueLengths() }
        router.get("/api/task/info/{id}") { _, context in try await api.taskInfo(context.parameters.require("id")) }
        router.get("/api/task/result/{id}") { _, context in try await api.taskResult(context.parameters.require("id")) }
    }

    /// Serves until SIGTERM or SIGINT.
    public func run() async throws {
        let application = Application(
            router: router(),
            configuration: ApplicationConfiguration(address: .hostname(settings.host, port: settings.port), serverName: "Celeriac"),
            logger: Logger(label: "Dashboard")
        )
        try await application.runService()
    }

    /// Renders `template` into the layout.
    func page(_ title: String, _ template: String, _ context: [String: Any]) -> Response {
        let body = library.render(context, withTemplate: template) ?? ""
        let html = library.render(["title": title, "body": body, "readOnly": settings.readOnly], withTemplate: "layout") ?? ""
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}
