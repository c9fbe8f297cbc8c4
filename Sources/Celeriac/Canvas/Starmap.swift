import Foundation

/// The built-in task behind ``TaskDefinition/map(_:)``, ``TaskDefinition/starmap(_:)`` and
/// ``TaskDefinition/chunks(_:size:)`` (Celery's `celery.starmap`): one task that calls another
/// registered task once per argument list, in order, in the same worker, and returns the list
/// of its results. Its arguments are `[task name, [argument list, …]]`.
///
/// Every app knows it without registering it, so any worker of the app can run it.
enum Starmap {
    /// The task's name.
    static let name = "celeriac.starmap"

    /// The call: which task, and each call's positional arguments as a JSON array.
    struct Call {
        var task: String
        var argumentLists: [String]

        init(json: String) throws {
            guard case .array(let parts)? = try? JSONValue(json: json), parts.count == 2,
                case .string(let task) = parts[0], case .array(let lists) = parts[1]
            else {
                throw ArgumentError("\(Starmap.name) takes a task name and a list of argument lists, got \(json)")
            }
            self.task = task
            argumentLists = try lists.map { list in
                guard case .array = list else { throw ArgumentError("\(Starmap.name): each argument list must be an array") }
                return try JSONCoding.encode(list)
            }
        }
    }

    /// The registered task that runs the calls of `app`.
    static func task(in app: CeleriacApp) -> RegisteredTask {
        RegisteredTask(name: name, options: TaskOptions(), check: { args, _ in _ = try Call(json: args) }) {
            [weak app] context, args, _ in
            let call = try Call(json: args)
            guard let app, call.task != name, let task = app.registeredTask(named: call.task) else {
                throw NotRegistered(name: call.task)
            }
            var outputs: [String] = []
            outputs.reserveCapacity(call.argumentLists.count)
            for arguments in call.argumentLists {
                outputs.append(try await task.body(context, arguments, "{}"))
            }
            return "[" + outputs.joined(separator: ",") + "]"
        }
    }
}

extension TaskDefinition {
    /// A signature that calls this task once per argument list, in order, in one task on one
    /// worker, and returns the list of results (Celery's `starmap`).
    ///
    /// ```swift
    /// let sums = try await add.starmap([(1, 2), (3, 4)]).delay()  // [3, 7]
    /// ```
    public func starmap(_ calls: [(repeat each Argument)]) -> Signature<[Output]> {
        let lists: Result<String, EnqueueError>
        do {
            let encoded = try calls.map { call in try ArgumentCoding.encode(repeat each call) }
            lists = .success("[" + (try JSONCoding.encode(name)) + ",[" + encoded.joined(separator: ",") + "]]")
        } catch {
            lists = .failure(EnqueueError("could not encode the arguments of \(name) as JSON: \(error)"))
        }
        var signature = Signature<[Output]>(
            app: app, task: Starmap.name, arguments: [], immutable: false, taskOptions: TaskOptions())
        signature.step = ChainStep(
            task: Starmap.name, args: lists, immutable: false, options: CallOptions(queue: options.queue),
            taskOptions: TaskOptions())
        return signature
    }

    /// A signature that calls this one-argument task once per item, in order, in one task, and
    /// returns the list of results (Celery's `map`): `double.map([1, 2, 3])`.
    public func map(_ items: [(repeat each Argument)]) -> Signature<[Output]> {
        starmap(items)
    }

    /// The calls split into tasks of at most `size` calls each (Celery's `chunks`): a group of
    /// starmaps, whose result is the list of each chunk's results.
    ///
    /// ```swift
    /// let parts = try await add.chunks((0..<100).map { ($0, $0) }, size: 10).delay()
    /// try await parts.get(timeout: .seconds(10))  // 10 lists of 10 sums
    /// ```
    public func chunks(_ calls: [(repeat each Argument)], size: Int) -> Group<[Output]> {
        let size = max(1, size)
        let parts = stride(from: 0, to: calls.count, by: size).map { start in
            starmap(Array(calls[start..<min(start + size, calls.count)]))
        }
        return Group(parts)
    }
}
