import CeleriacPostgres
import Dispatch
import Foundation
import Logging
import Synchronization

/// A worker process: prints the banner, checks the schema, registers itself, claims
/// and runs tasks until SIGTERM/SIGINT.
///
/// Hosted by the user's executable, which knows the tasks (`swift run demo worker`).
/// The first SIGTERM or SIGINT starts a warm shutdown (stop claiming, finish running
/// tasks within ``Configuration/workerShutdownGrace``, give the rest back); a second
/// one, or SIGQUIT, a cold shutdown (give running tasks back now).
///
/// ```swift
/// var options = WorkerOptions()
/// options.concurrency = 2
/// try await Worker(app: app, options: options).run()
/// ```
public final class Worker: Sendable {
    /// The app whose tasks it runs.
    public let app: CeleriacApp
    /// Its command-line options.
    public let options: WorkerOptions
    /// The node name, e.g. `celeriac@host`.
    public let nodeName: String
    /// The unique owner id of this process's leases: `<node name>/<pid>.<random>`.
    public let instanceID: String
    /// Who is told of every task and worker transition (see ``LifecycleObserver``).
    public let observers: [any LifecycleObserver]
    private let logger = Logger(label: "MainProcess")
    /// The running consumer, and a stop asked for before it started.
    private let control = Mutex<(consumer: Consumer?, pendingStop: StopMode?)>((nil, nil))

    /// - Parameters:
    ///   - app: the app whose tasks it runs, and its settings.
    ///   - options: queues, concurrency, pool and node name (the command line's flags).
    ///   - observers: told of every task and worker transition, on the worker's database
    ///     thread (keep them quick).
    public init(app: CeleriacApp, options: WorkerOptions = WorkerOptions(), observers: [any LifecycleObserver] = []) {
        self.app = app
        self.options = options
        self.observers = observers
        let host = ProcessInfo.processInfo.hostName
        nodeName = options.nodeName.replacingOccurrences(of: "%h", with: host)
        let suffix = String(UInt32.random(in: 0..<UInt32.max), radix: 36)
        instanceID = "\(nodeName)/\(ProcessInfo.processInfo.processIdentifier).\(suffix)"
    }

    /// Runs until a shutdown signal (or ``stop(cold:)``) and every task is settled.
    /// - Parameters:
    ///   - handleSignals: install SIGTERM/SIGINT/SIGQUIT handlers (off in tests).
    ///   - printBanner: print Celery's start-up banner.
    public func run(handleSignals: Bool = true, printBanner: Bool = true) async throws {
        var conf = app.conf
        if let concurrency = options.concurrency { conf.workerConcurrency = concurrency }
        if options.events { conf.workerSendTaskEvents = true }
        try app.checkEnvironment()
        try conf.validate()
        let queues = options.queues.isEmpty ? [conf.taskDefaultQueue] : options.queues
        for queue in queues { try QueueName.validate(queue) }
        guard options.pool == "async" || options.pool == "prefork" else {
            throw ConfigurationError("unknown pool '\(options.pool)': use --pool async or --pool prefork")
        }
        let url = try DatabaseURL(conf.databaseURL)
        // The consumer and maintenance keep sessions (LISTEN, settings): a direct URL if given.
        let sessionURL = try DatabaseURL(conf.sessionDatabaseURL)
        let sql = SchemaSQL(schema: conf.schema)

        if printBanner {
            let banner = WorkerBanner(
                nodeName: nodeName, appName: app.name, url: url, concurrency: conf.workerConcurrency,
                pool: options.pool, events: conf.workerSendTaskEvents, queues: queues, tasks: app.registeredTaskNames
            )
            FileHandle.standardOutput.write(Data(banner.text.utf8))
        }
        if conf.taskTimeLimit != nil, options.pool == "async" {
            logger.warning("task_time_limit (hard limit) needs --pool prefork; the async pool enforces task_soft_time_limit only")
        }

        // Check and register on a short-lived thread, away from the cooperative pool.
        let setup = DatabaseThread(
            url: url, name: "celeriac-setup", reconnectTimeout: conf.databaseRetryTimeout,
            onRetry: CeleriacApp.logRetry)
        defer { setup.shutdown() }
        let migrator = Migrator(schema: conf.schema)
        let (instanceID, nodeName) = (self.instanceID, self.nodeName)
        let poolName = options.pool
        let host = ProcessInfo.processInfo.hostName
        let pid = ProcessInfo.processInfo.processIdentifier
        let concurrency = conf.workerConcurrency
        let trackStarted = conf.taskTrackStarted
        let sendEvents = conf.workerSendTaskEvents
        let taskNames = app.registeredTaskNames
        let heartbeatSeconds = conf.workerHeartbeatInterval.seconds
        let taskTypes = TaskTypeRegistry.statement(for: app.registeredTasks, configuration: conf, worker: instanceID)
        let settings = try TaskTypeRegistry.settings(conf, worker: instanceID)
        let aliveWithin = (conf.workerHeartbeatInterval * 3).seconds
        let (neighbours, synchronousCommit) = try await setup.run { connection -> ([String], String) in
            try migrator.verify(on: connection)
            try connection.run(
                SQL.Workers.Register(
                    id: instanceID, name: nodeName, hostname: host, pid: Int(pid), queues: queues, concurrency: concurrency,
                    pool: poolName, version: CeleriacVersion.string, trackStarted: trackStarted, sendEvents: sendEvents,
                    tasks: taskNames, eventsChannel: sql.topics.events, heartbeatSeconds: heartbeatSeconds),
                in: sql)
            if !taskTypes.names.isEmpty { try connection.run(taskTypes, in: sql) }
            try connection.run(settings, in: sql)
            let neighbours = try connection.rows(SQL.Workers.Neighbours(id: instanceID, aliveSeconds: aliveWithin), in: sql)
            let synchronousCommit = try connection.row(SQL.Settings.SynchronousCommit(), in: sql)?.value ?? "on"
            return (neighbours.map(\.name), synchronousCommit)
        }
        logger.info("Connected to \(url.masked)")
        if sessionURL.pooled {
            logger.warning(
                "\(sessionURL.masked) goes through a transaction pooler: no LISTEN, so this worker polls for work every \(TaskRunner.format(conf.workerPollInterval.seconds))s; set CELERIAC_LISTEN_DATABASE_URL to a direct URL to be woken at once"
            )
        }
        logger.info("mingle: searching for neighbors")
        if neighbours.isEmpty {
            logger.info("mingle: all alone")
        } else {
            logger.info("mingle: sync with \(neighbours.count) nodes: \(neighbours.joined(separator: ", "))")
        }

        // Relaxed durability only where a lost write means a run again (acks_late).
        var relaxedTasks: Set<String> = []
        for task in app.registeredTasks where task.options.durability == .relaxed {
            if task.options.acksLate ?? conf.taskAcksLate {
                relaxedTasks.insert(task.name)
            } else {
                logger.warning("\(task.name) asks for relaxed durability without acksLate: it is committed durably")
            }
        }

        let runner = TaskRunner(app: app, configuration: conf, hostname: nodeName, owner: instanceID)
        let pool: any ExecutionPool
        if options.pool == "prefork" {
            var arguments = ["pool-child", "--hostname", nodeName, "--owner", instanceID, "--loglevel", options.childLogLevel]
            if let maxTasks = options.maxTasksPerChild { arguments += ["--max-tasks", String(maxTasks)] }
            if let maxMemory = options.maxMemoryPerChildKiB { arguments += ["--max-memory", String(maxMemory)] }
            pool = PreforkPool(
                settings: PreforkPool.Settings(
                    size: conf.workerConcurrency, arguments: arguments,
                    environment: ["CELERIAC_DATABASE_URL": conf.databaseURL, "CELERIAC_SCHEMA": conf.schema],
                    rejectOnWorkerLost: conf.taskRejectOnWorkerLost
                ),
                app: app, configuration: conf
            )
        } else {
            pool = AsyncPool(runner: runner)
        }
        try pool.start()
        defer { pool.shutdown() }
        // The app's hooks hear the events through a queue of their own (Hooks.swift).
        let hookObserver = app.hooks.observer()
        let observers = Observers(self.observers + (hookObserver.map { [$0] } ?? []))
        let consumer = try Consumer(
            settings: Consumer.Settings(
                url: sessionURL, sql: sql, queues: queues, owner: instanceID,
                concurrency: conf.workerConcurrency, claimBatch: conf.workerClaimBatchSize,
                completionBatch: conf.workerCompletionBatchSize, pollInterval: conf.workerPollInterval,
                heartbeatInterval: conf.workerHeartbeatInterval, lease: conf.workerLeaseDuration,
                shutdownGrace: conf.workerShutdownGrace, sendEvents: conf.workerSendTaskEvents,
                applicationName: String("celeriac-worker:\(nodeName)".prefix(63)), relaxedTasks: relaxedTasks,
                rateLimitedTasks: app.registeredTasks.filter { $0.options.rateLimit != nil }.map(\.name),
                synchronousCommit: synchronousCommit
            ),
            pool: pool,
            observers: observers
        )
        let maintenance = try MaintenanceLoop(
            maintenance: Maintenance(configuration: conf, holder: instanceID, observers: self.observers),
            url: sessionURL, applicationName: String("celeriac-maintenance:\(nodeName)".prefix(63))
        )
        let signals = handleSignals ? ShutdownSignals { [weak self] cold in self?.stop(cold: cold) } : nil
        consumer.start()
        maintenance.start()
        let beat = options.embedBeat ? try Beat(app: app) : nil
        let beatTask = beat.map { beat in Task { try await beat.run(handleSignals: false) } }
        let pendingStop = control.withLock { control -> StopMode? in
            control.consumer = consumer
            return control.pendingStop
        }
        if let pendingStop { consumer.requestStop(pendingStop) }
        logger.info("\(nodeName) ready.")
        observers.emit(LifecycleEvent(kind: .workerOnline, worker: instanceID))
        await consumer.waitUntilFinished()
        await maintenance.stop()
        observers.emit(LifecycleEvent(kind: .workerOffline, worker: instanceID))
        await hookObserver?.finish()
        beat?.stop()
        if let beatTask { try await beatTask.value }
        signals?.cancel()
        control.withLock { $0.consumer = nil }
    }

    /// Asks a running worker to stop: warm (finish running tasks) or cold (give them back).
    /// Safe to call before the worker is running: it then stops as soon as it starts.
    public func stop(cold: Bool = false) {
        let mode: StopMode = cold ? .cold : .warm
        let consumer = control.withLock { control -> Consumer? in
            if control.consumer == nil { control.pendingStop = max(control.pendingStop ?? .none, mode) }
            return control.consumer
        }
        consumer?.requestStop(mode)
    }
}
