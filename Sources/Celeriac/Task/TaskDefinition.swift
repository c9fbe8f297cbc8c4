import Foundation

/// A typed handle on a registered task: call it (`delay`, `applyAsync`) or make
/// signatures of it (`s`, `si`) for chains.
///
/// ```swift
/// let add = app.task("tasks.add") { (x: Int, y: Int) async throws -> Int in x + y }
/// let r = try await add.delay(7, 11)                 // AsyncResult<Int>
/// let later = try await add.applyAsync(1, 2, options: CallOptions(countdown: .seconds(10)))
/// let chained = try await (add.s(100, 200) | add.s(300)).delay()
/// ```
public struct TaskDefinition<each Argument: Codable & Sendable, Output: Codable & Sendable>: Sendable {
    /// The registered name, e.g. `tasks.add`.
    public let name: String
    /// The task's options.
    public let options: TaskOptions
    /// The app it belongs to.
    public let app: CeleriacApp

    /// Enqueues a call and returns at once with its ``AsyncResult``.
    public func delay(_ arguments: repeat each Argument) async throws -> AsyncResult<Output> {
        try await applyAsync(repeat each arguments, options: CallOptions())
    }

    /// Enqueues a call with options (countdown, eta, expires, queue, priority, id).
    public func applyAsync(
        _ arguments: repeat each Argument,
        options call: CallOptions
    ) async throws -> AsyncResult<Output> {
        let message = try message(repeat each arguments, options: call)
        return AsyncResult(id: try await app.enqueue(message), app: app)
    }

    /// Runs the task in this process now and returns its result (Celery's `apply`): no
    /// database, no worker. Retries run again at once, up to the task's limit; the outcome is
    /// kept, so an ``AsyncResult`` of the same id reads it.
    ///
    /// ```swift
    /// #expect(try await add.apply(2, 3) == 5)
    /// ```
    /// - Throws: ``TaskFailedError`` when the task failed, with its error's type and message.
    public func apply(_ arguments: repeat each Argument, options call: CallOptions = CallOptions()) async throws -> Output {
        let message = try message(repeat each arguments, options: call)
        await EagerRunner(app: app).run(message)
        return try await AsyncResult<Output>(id: message.id, app: app).get()
    }

    /// A message's arguments decoded as this task's parameter types (keyword arguments
    /// merged by name), as a worker would decode them.
    /// - Throws: ``ArgumentError`` naming the argument that does not fit.
    public func decodeArguments(_ message: TaskMessage) throws -> (repeat each Argument) {
        try ArgumentCoding.decode(
            repeat (each Argument).self, task: name, args: message.args, kwargs: message.kwargs, names: options.argumentNames)
    }

    /// The row a call would insert, for bulk or transactional enqueue.
    public func message(_ arguments: repeat each Argument, options call: CallOptions = CallOptions()) throws -> TaskMessage {
        let args: String
        do {
            args = try ArgumentCoding.encode(repeat each arguments)
        } catch {
            throw EnqueueError("could not encode the arguments of \(name) as JSON: \(error)")
        }
        return try app.message(task: name, args: args, options: call, taskOptions: options)
    }

    /// A signature with some or all arguments: in a chain, the previous task's result is
    /// prepended to these (Celery's `s`).
    public func s(_ arguments: any Encodable & Sendable...) -> Signature<Output> {
        Signature(
            app: app, task: name, arguments: arguments, immutable: false, taskOptions: options,
            shape: shape(given: arguments.count))
    }

    /// An immutable signature: in a chain it ignores the previous result (Celery's `si`).
    public func si(_ arguments: any Encodable & Sendable...) -> Signature<Output> {
        Signature(
            app: app, task: name, arguments: arguments, immutable: true, taskOptions: options,
            shape: shape(given: arguments.count))
    }

    /// The task's parameter types, for the checks made when steps are put together.
    func shape(given: Int) -> ArgumentShape {
        var types: [ObjectIdentifier] = []
        var names: [String] = []
        for type in repeat (each Argument).self {
            types.append(ObjectIdentifier(type))
            names.append(String(describing: type))
        }
        return ArgumentShape(types: types, names: names, given: given)
    }
}

extension CeleriacApp {
    /// Registers a task whose arguments and result are Codable.
    ///
    /// ```swift
    /// let add = app.task("tasks.add") { (x: Int, y: Int) async throws -> Int in
    ///     try await Task.sleep(for: .seconds(3))
    ///     return x + y
    /// }
    /// ```
    /// - Parameters:
    ///   - name: the name producers use (any language can enqueue it by this name).
    ///   - queue: the queue calls go to unless they name one (``TaskOptions/queue``).
    ///   - priority: the calls' priority unless they set one, 0 to 255.
    ///   - maxRetries: how many times the task may retry.
    ///   - defaultRetryDelay: the wait before a retry that names none.
    ///   - acksLate: run again rather than fail when the worker dies mid-task.
    ///   - argumentNames: parameter names, so callers may pass keyword arguments.
    ///   - options: the remaining options.
    ///   - body: the task itself: its parameters are the call's arguments, decoded from JSON.
    @discardableResult
    public func task<each Argument: Codable & Sendable, Output: Codable & Sendable>(
        _ name: String,
        queue: String? = nil,
        priority: Int? = nil,
        maxRetries: Int? = nil,
        defaultRetryDelay: Duration? = nil,
        acksLate: Bool? = nil,
        argumentNames: [String] = [],
        options: TaskOptions = TaskOptions(),
        _ body: @escaping @Sendable (repeat each Argument) async throws -> Output
    ) -> TaskDefinition<repeat each Argument, Output> {
        let merged = Self.merge(options, queue, priority, maxRetries, defaultRetryDelay, acksLate, argumentNames)
        register(
            RegisteredTask(
                name: name, options: merged,
                check: { args, kwargs in
                    _ = try ArgumentCoding.decode(
                        repeat (each Argument).self, task: name, args: args, kwargs: kwargs, names: merged.argumentNames)
                }
            ) { context, args, kwargs in
                let values = try ArgumentCoding.decode(
                    repeat (each Argument).self,
                    task: name,
                    args: args,
                    kwargs: kwargs,
                    names: merged.argumentNames
                )
                let output = try await body(repeat each values)
                return try JSONCoding.encode(output)
            }
        )
        return TaskDefinition(name: name, options: merged, app: self)
    }

    /// Registers a bound task: its body also receives the ``TaskContext`` (Celery's
    /// `bind=True`), to read its attempt or call `retry`.
    ///
    /// ```swift
    /// let flaky = app.task("tasks.flaky_task", maxRetries: 3, defaultRetryDelay: .seconds(5)) { task in
    ///     if Bool.random() { throw task.retry(because: ValueError("Ой, упал!")) }
    ///     return "Всё ок!"
    /// }
    /// ```
    @discardableResult
    public func task<each Argument: Codable & Sendable, Output: Codable & Sendable>(
        _ name: String,
        queue: String? = nil,
        priority: Int? = nil,
        maxRetries: Int? = nil,
        defaultRetryDelay: Duration? = nil,
        acksLate: Bool? = nil,
        argumentNames: [String] = [],
        options: TaskOptions = TaskOptions(),
        _ body: @escaping @Sendable (TaskContext, repeat each Argument) async throws -> Output
    ) -> TaskDefinition<repeat each Argument, Output> {
        let merged = Self.merge(options, queue, priority, maxRetries, defaultRetryDelay, acksLate, argumentNames)
        register(
            RegisteredTask(
                name: name, options: merged,
                check: { args, kwargs in
                    _ = try ArgumentCoding.decode(
                        repeat (each Argument).self, task: name, args: args, kwargs: kwargs, names: merged.argumentNames)
                }
            ) { context, args, kwargs in
                let values = try ArgumentCoding.decode(
                    repeat (each Argument).self,
                    task: name,
                    args: args,
                    kwargs: kwargs,
                    names: merged.argumentNames
                )
                let output = try await body(context, repeat each values)
                return try JSONCoding.encode(output)
            }
        )
        return TaskDefinition(name: name, options: merged, app: self)
    }

    private static func merge(
        _ options: TaskOptions,
        _ queue: String?,
        _ priority: Int?,
        _ maxRetries: Int?,
        _ defaultRetryDelay: Duration?,
        _ acksLate: Bool?,
        _ argumentNames: [String]
    ) -> TaskOptions {
        var merged = options
        if let queue { merged.queue = queue }
        if let priority { merged.priority = priority }
        if let maxRetries { merged.maxRetries = maxRetries }
        if let defaultRetryDelay { merged.defaultRetryDelay = defaultRetryDelay }
        if let acksLate { merged.acksLate = acksLate }
        if !argumentNames.isEmpty { merged.argumentNames = argumentNames }
        return merged
    }
}
