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

    @Option(
        name: .customLong("retry"),
        help: """
            Seconds to keep retrying while the database cannot be reached (default: 5 for one-shot \
            commands; worker and beat: CELERIAC_DATABASE_RETRY_SECONDS or 15).
            """
    )
    public var retry: Double?

    public init() {}

    /// The hosted app (or a bare one for the standalone tool) with these options applied,
    /// and logging set up.
    /// - Parameter retryFor: how long a one-shot command keeps retrying an unreachable
    ///   database unless `--retry` says otherwise (nil: the configured setting).
    public func makeApp(retryFor: Duration? = .seconds(5)) throws -> CeleriacApp {
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
        if let retry, !(retry >= 0 && retry.isFinite) { throw ValidationError("--retry must be a number of seconds") }
        let (database, schema) = (self.database, self.schema)
        let retryTimeout = retry.map { Duration.fromSeconds($0) } ?? retryFor
        if database != nil || schema != nil || retryTimeout != nil {
            app.override { conf in
                if let database { conf.databaseURL = database }
                if let schema { conf.schema = schema }
                if let retryTimeout { conf.databaseRetryTimeout = retryTimeout }
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
