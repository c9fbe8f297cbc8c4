import ArgumentParser
import Celeriac
import CeleriacDashboard
import CeleriacPostgres
import Foundation
import Logging

/// `celeriac monitor`: the web dashboard, like `celery flower`.
struct MonitorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "monitor",
        abstract: "Serve the web dashboard (Celeriac's Flower) on http://127.0.0.1:5555.",
        discussion: """
            It binds 127.0.0.1 unless told otherwise, and refuses any other address without
            authentication. Secrets never go on the command line (every user of the machine can
            read /proc/*/cmdline): set CELERIAC_DASHBOARD_AUTH=user:password (HTTP Basic, what
            browsers ask for) or CELERIAC_DASHBOARD_TOKEN (Authorization: Bearer, for scripts),
            or name a file with --auth-file (its first line: user:password or token:<token>).
            Likewise the database: CELERIAC_DATABASE_URL, or a ~/.pgpass file for the password.
            """
    )

    @OptionGroup var common: CommonOptions

    @Option(help: "The address to bind.")
    var address: String = "127.0.0.1"

    @Option(help: "The port.")
    var port: Int = 5555

    @Option(help: "A file whose first line is user:password or token:<token>.")
    var authFile: String?

    @Flag(help: "Show everything, change nothing.")
    var readOnly = false

    func run() async throws {
        if let url = common.database, (try? DatabaseURL(url))?.hasPassword == true {
            Logger(label: "MainProcess").warning(
                "the database password is on the command line, where every user of this machine can read it (/proc/*/cmdline): set CELERIAC_DATABASE_URL or use ~/.pgpass instead"
            )
        }
        let app = try common.makeApp(retryFor: nil)
        defer { app.shutdown() }
        let settings: DashboardSettings
        do {
            let auth = try DashboardSettings.auth(environment: ProcessInfo.processInfo.environment, file: authFile)
            settings = DashboardSettings(host: address, port: port, auth: auth, readOnly: readOnly)
            try settings.validate()
        } catch let error as ConfigurationError {
            throw ValidationError(error.message)
        }
        let dashboard = try Dashboard(app: app, settings: settings)
        Logger(label: "MainProcess").info(
            "dashboard on http://\(address):\(port)/ (\(settings.auth == .none ? "no authentication: loopback only" : "authentication required")\(readOnly ? ", read-only" : ""))"
        )
        try await dashboard.run()
    }
}
