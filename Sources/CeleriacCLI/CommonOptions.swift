import ArgumentParser
import Celeriac
import Foundation
import Logging
import Synchronization

/// Options every command shares.
public struct CommonOptions: ParsableArguments {
    @Option(name: .long, help: "PostgreSQL URL or conninfo (default: $CELERIAC_DATABASE_URL).")
    public var database: String?

    @Option(name: .long, help: "Schema holding Celeriac's tables (default: $CELERIAC_SCHEMA or celeriac).")
    public var schema: String?

    @Option(name: [.short, .customLong("loglevel")], help: "DEBUG, INFO, WARNING, ERROR or CRITICAL.")
    public var loglevel: String = "INFO"

    public init() {}

    /// The hosted app (or a bare one for the standalone tool) with these options applied,
    /// and logging set up.
    public func makeApp() throws -> CeleriacApp {
        guard let level = CeleryLogHandler.level(named: loglevel) else {
            throw ValidationError("unknown log level '\(loglevel)': use DEBUG, INFO, WARNING, ERROR or CRITICAL")
        }
        LogSetup.bootstrap(level: level)
        let app = CeleriacCommandLine.app ?? CeleriacApp("celeriac")
        // The app already applied the environment over the code's settings; flags go last.
        do { try app.checkEnvironment() } catch { throw ValidationError("\(error)") }
        if ProcessInfo.processInfo.environment["CELERIAC_DATABASE_URL"] == nil, database == nil,
            CeleriacCommandLine.app == nil
        {
            throw ValidationError("no database given: pass --database URL or set CELERIAC_DATABASE_URL")
        }
        let (database, schema) = (self.database, self.schema)
        if database != nil || schema != nil {
            app.override { conf in
                if let database { conf.databaseURL = database }
                if let schema { conf.schema = schema }
            }
        }
        try app.conf.validate()
        return app
    }
}

/// Installs the Celery-style log handler once per process.
public enum LogSetup {
    private static let once: Void = {
        LoggingSystem.bootstrap { label in
            CeleryLogHandler(label: label, level: LogSetup.level.withLock { $0 })
        }
    }()
    private static let level = Mutex(Logger.Level.info)

    /// Sets the level and installs the handler (the first call installs the handler; the
    /// level applies to loggers created afterwards).
    public static func bootstrap(level: Logger.Level) {
        Self.level.withLock { $0 = level }
        _ = once
    }
}
