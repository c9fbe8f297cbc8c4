import CeleriacPostgres
import Foundation
import Synchronization

extension CeleriacApp {
    /// Builds the row for one call, applying routes, defaults and payload limits.
    /// - Throws: ``EnqueueError`` for an invalid queue, priority or oversized payload.
    public func message(
        task name: String,
        args: String,
        options call: CallOptions = CallOptions(),
        taskOptions: TaskOptions? = nil
    ) throws -> TaskMessage {
        let conf = self.conf
        let options = taskOptions ?? registeredTask(named: name)?.options
        guard !name.isEmpty, name.utf8.count <= 200 else {
            throw EnqueueError("invalid task name '\(name)': it must have 1 to 200 characters")
        }
        let queue = call.queue ?? options?.queue ?? conf.queue(forTask: name)
        do { try QueueName.validate(queue) } catch { throw EnqueueError("\(error)") }
        let priority = call.priority ?? options?.priority ?? conf.taskDefaultPriority
        guard (0...255).contains(priority) else {
            throw EnqueueError("priority must be between 0 and 255, got \(priority)")
        }
        let kwargs = call.kwargs ?? "{}"
        let size = args.utf8.count + kwargs.utf8.count
        guard size <= conf.maxPayloadBytes else {
            throw EnqueueError(
                "the arguments of \(name) take \(size) bytes, more than the limit of \(conf.maxPayloadBytes) (max payload bytes)"
            )
        }
        if let countdown = call.countdown, countdown < .zero {
            throw EnqueueError("countdown must not be negative, got \(countdown)")
        }
        // The task's own options (acks_late, retries, limits) are the workers' to say: they
        // register them in task_types, and the rescuer reads them there. The row carries only
        // what this call overrides (the retry limit goes to its own column).
        if let key = (call.unique ?? options?.unique)?.key, key.isEmpty || key.count > 1_000 {
            throw EnqueueError("a unique key must have 1 to 1000 characters, this one has \(key.count)")
        }
        var message = TaskMessage(
            id: call.taskID ?? UUID.v7(),
            name: name,
            args: args,
            kwargs: kwargs,
            queue: queue,
            priority: priority,
            countdown: call.countdown,
            eta: call.eta,
            expires: call.expires,
            maxRetries: call.maxRetries
        )
        message.options.unique = call.unique ?? options?.unique
        // Per-call overrides of the task's own options travel in the row, for the worker and
        // the rescuer.
        message.options.acksLate = call.acksLate
        message.options.timeLimit = call.timeLimit.map { max(0, $0.seconds) }
        message.options.softTimeLimit = call.softTimeLimit.map { max(0, $0.seconds) }
        message.options.ignoreResult = call.ignoreResult
        message.options.retryDelay = call.defaultRetryDelay.map { max(0, $0.seconds) }
        message.options.retryBackoff = call.retryBackoff
        // Fleet-wide limits (0028): the claim reads them from the row, with the key of this call.
        // A task's own rate limit is its workers' to say (task_types, 0029): only a call's
        // override travels in the row.
        if let rate = call.rateLimit {
            message.options.rateLimit = rate.rate
            message.options.rateKey = rate.key.key(task: name, args: args, kwargs: kwargs)
        }
        if let limit = call.concurrencyLimit ?? options?.concurrencyLimit {
            message.options.concurrencyLimit = limit.maximum
            message.options.concurrencyKey = limit.key.key(task: name, args: args, kwargs: kwargs)
        } else if let maximum = conf.queueConcurrencyLimits[queue] {
            message.options.concurrencyLimit = max(1, maximum)
            message.options.concurrencyKey = "queue:" + queue
        }
        message.options.trace = TaskTracing.currentCarrier()
        return message
    }

    /// Inserts one task in its own transaction and wakes a worker. Returns at once, with the
    /// task's id: the message's, or for a unique task whose key is held, the holder's.
    @discardableResult
    public func enqueue(_ message: TaskMessage) async throws -> UUID {
        if conf.taskAlwaysEager { return await EagerRunner(app: self).run(message) }
        let sql = try self.sql
        let message = hooks.beforePublishing(message)
        let id = Mutex(message.id)
        try await insertRetrying { connection in
            let inserted = try message.insert(on: connection, sql: sql, inTransaction: false)
            id.withLock { $0 = inserted }
        }
        hooks.published([message])
        return id.withLock { $0 }
    }

    /// Inserts many tasks with one statement (one round trip, one commit, one NOTIFY per queue).
    /// Returns their ids in order (for unique tasks whose key is held, the holders').
    @discardableResult
    public func enqueue(_ messages: [TaskMessage]) async throws -> [UUID] {
        guard !messages.isEmpty else { return [] }
        if conf.taskAlwaysEager {
            let runner = EagerRunner(app: self)
            for message in messages { await runner.run(message) }
            return messages.map(\.id)
        }
        let sql = try self.sql
        let messages = hooks.hasPublishHooks ? messages.map(hooks.beforePublishing) : messages
        let ids = Mutex(messages.map(\.id))
        try await insertRetrying { connection in
            let inserted = try TaskMessage.insert(messages, on: connection, sql: sql)
            ids.withLock { $0 = inserted }
        }
        hooks.published(messages)
        return ids.withLock { $0 }
    }

    /// Enqueues on a connection the caller already holds, inside whatever transaction it
    /// has open: the task exists only if that transaction commits.
    ///
    /// ```swift
    /// try connection.transaction { connection in
    ///     try connection.execute(insertOrder, [orderID])   // your own statement
    ///     try app.enqueue(add.message(2, 3), on: connection)
    /// }
    /// ```
    @discardableResult
    public func enqueue(_ message: TaskMessage, on connection: Connection) throws -> UUID {
        let message = hooks.beforePublishing(message)
        let id = try message.insert(on: connection, sql: try self.sql, inTransaction: true)
        hooks.published([message])
        return id
    }

    /// Runs `body` in one transaction on a pooled connection, on that connection's own
    /// thread. Tasks enqueued through the ``Transaction`` exist only if it commits.
    ///
    /// ```swift
    /// try await app.transaction { tx in
    ///     try tx.execute(markPaid, [accountID])   // your own statement
    ///     try tx.enqueue(sendReceipt.message(accountID))
    /// }
    /// ```
    public func transaction<T: Sendable>(_ body: @escaping @Sendable (Transaction) throws -> T) async throws -> T {
        let sql = try self.sql
        return try await pool.run { connection in
            try connection.transaction { connection in
                try body(Transaction(connection: connection, sql: sql, app: self))
            }
        }
    }

    /// Enqueues a task by name with JSON arguments (Celery's `send_task`), for callers
    /// that do not link the task's code.
    public func sendTask(
        _ name: String,
        args: String = "[]",
        options: CallOptions = CallOptions()
    ) async throws -> AsyncResult<JSONValue> {
        try Self.checkJSON(args, kind: "args", expected: "array")
        if let kwargs = options.kwargs { try Self.checkJSON(kwargs, kind: "kwargs", expected: "object") }
        // A task this binary knows: its arguments must decode as the task declares them.
        if let registered = registeredTask(named: name) {
            do { try registered.check(args, options.kwargs ?? "{}") } catch { throw EnqueueError("\(error)") }
        }
        let message = try message(task: name, args: args, options: options)
        return AsyncResult(id: try await enqueue(message), app: self)
    }

    /// Runs an insert, retrying across reconnects. Task ids are unique: after a retry, a
    /// unique violation means an earlier attempt committed before its answer was lost.
    func insertRetrying(_ insert: @escaping @Sendable (Connection) throws -> Void) async throws {
        let attempts = Mutex(0)
        do {
            try await retryingRun { connection in
                attempts.withLock { $0 += 1 }
                try insert(connection)
            }
        } catch let error as PostgresError where error.sqlState == "23505" {
            if attempts.withLock({ $0 }) > 1 { return }
            throw EnqueueError("a task with that id already exists: \(error.detail ?? error.message)")
        }
    }

    static func checkJSON(_ text: String, kind: String, expected: String) throws {
        let value: JSONValue
        do { value = try JSONValue(json: text) } catch {
            throw EnqueueError("\(kind) is not valid JSON: \(text.prefix(80))")
        }
        switch (value, expected) {
        case (.array, "array"), (.object, "object"): return
        default: throw EnqueueError("\(kind) must be a JSON \(expected), got \(text.prefix(80))")
        }
    }
}

/// A transaction on the caller's behalf: run SQL and enqueue tasks atomically.
///
/// Lives on the connection's thread for the duration of ``CeleriacApp/transaction(_:)``.
public struct Transaction {
    /// The connection, for anything the helpers below do not cover.
    public let connection: Connection
    let sql: SchemaSQL
    let app: CeleriacApp

    /// Runs one statement inside the transaction.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [String?] = []) throws -> QueryResult {
        try connection.execute(sql, parameters)
    }

    /// Runs one statement inside the transaction, with parameters of any printable type
    /// (`[orderID, 3, true]`): each is sent as its text, nil as SQL NULL.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [(any CustomStringConvertible)?]) throws -> QueryResult {
        try connection.execute(sql, parameters.map { $0?.description })
    }

    /// Enqueues a task that exists only if the transaction commits; returns its result handle
    /// (read it after the commit, e.g. `AsyncResult<Int>(id: handle.id, app: app)` for a typed one).
    @discardableResult
    public func enqueue(_ message: TaskMessage) throws -> AsyncResult<JSONValue> {
        let message = app.hooks.beforePublishing(message)
        let id = try message.insert(on: connection, sql: sql, inTransaction: true)
        app.hooks.published([message])
        return AsyncResult(id: id, app: app)
    }
}
