import Foundation
import Logging

/// Runs tasks in this process, at once, instead of inserting them: Celery's
/// `task_always_eager`, for tests (``Configuration/taskAlwaysEager``).
///
/// A canvas runs as the database would run it, one step after another: a step gets the
/// result before it (unless immutable), a group's members run in member order and its body
/// gets their results, a failed member fails the body with `ChordError` unless
/// `allowedFailures` allows it, the steps after a failure fail with `ChainAborted`, and
/// `link`/`linkError` callbacks run. Retries run again at once, up to the task's limit;
/// countdowns, ETAs, priorities, limits and queues are ignored. Outcomes are kept by id, so
/// ``AsyncResult`` and ``GroupResult`` read them without a database.
struct EagerRunner {
    let app: CeleriacApp

    /// How a step, or a chain of them, ended.
    enum Outcome {
        case succeeded(json: String)
        case failed(ErrorInfo, task: String)
    }

    /// The most times one task runs (retries and snoozes together).
    static let maximumRuns = 100

    private var logger: Logger { Logger(label: "celeriac.eager") }

    /// Runs one message; returns its id.
    @discardableResult
    func run(_ message: TaskMessage) async -> UUID {
        _ = await run(message, callbacks: nil)
        return message.id
    }

    /// Runs a canvas; returns its final task, or its final group's id and member ids.
    func run(_ canvas: [CanvasStep]) async throws -> (finalID: UUID?, finalGroup: (id: UUID, ids: [UUID])?) {
        // The same checks as sending it: a bad shape throws here as it would from delay().
        _ = try CanvasPlan(canvas, app: app)
        let ended = try await run(canvas, input: nil, group: nil)
        return (ended.finalID, ended.finalGroup)
    }

    private struct Ended {
        var outcome: Outcome
        var finalID: UUID?
        var finalGroup: (id: UUID, ids: [UUID])?
    }

    private func run(_ steps: [CanvasStep], input: String?, group: UUID?) async throws -> Ended {
        let encoding = CanvasEncoding(app: app)
        var input = input
        var ended = Ended(outcome: .succeeded(json: "null"))
        for (index, step) in steps.enumerated() {
            let last = index == steps.count - 1
            switch step {
            case .task(let task):
                var message = try encoding.message(task, group: last ? group : nil)
                if let input, !task.immutable { message.args = Self.prepend(input, to: message.args) }
                ended.outcome = await run(message, callbacks: task)
                ended.finalID = message.id
                ended.finalGroup = nil
            case .group(let inner):
                var results: [String] = []
                var ids: [UUID] = []
                var failures: [(ErrorInfo, String)] = []
                for member in inner.members where !member.isEmpty {
                    let memberEnded = try await run(member, input: input, group: inner.id)
                    if let id = memberEnded.finalID { ids.append(id) }
                    switch memberEnded.outcome {
                    case .succeeded(let json): results.append(json)
                    case .failed(let error, let task): failures.append((error, task))
                    }
                }
                ended.finalGroup = (inner.id, ids)
                ended.finalID = nil
                if let (error, task) = failures.first, failures.count > inner.allowedFailures {
                    ended.outcome = .failed(
                        ErrorInfo(type: "ChordError", message: "chord member \(task) failed: \(error.type): \(error.message)"),
                        task: task)
                } else {
                    ended.outcome = .succeeded(json: "[" + results.joined(separator: ",") + "]")
                }
            }
            switch ended.outcome {
            case .succeeded(let json):
                input = json
            case .failed(let error, let task):
                let rest = Array(steps.dropFirst(index + 1))
                guard !rest.isEmpty else { return ended }
                // A group's failure fails its body (the next step) with the ChordError itself.
                let firstError: ErrorInfo?
                if case .group = step { firstError = error } else { firstError = nil }
                let aborted = try abort(rest, after: task, error: firstError)
                return Ended(outcome: .failed(error, task: task), finalID: aborted.finalID, finalGroup: aborted.finalGroup)
            }
        }
        return ended
    }

    /// Records `steps` as failed: the first with `error` when given (a chord's body), the rest
    /// with ChainAborted naming `task`.
    private func abort(_ steps: [CanvasStep], after task: String, error: ErrorInfo?) throws -> Ended {
        let encoding = CanvasEncoding(app: app)
        var ended = Ended(outcome: .failed(ErrorInfo(type: "ChainAborted", message: "an earlier step failed: \(task)"), task: task))
        for (index, step) in steps.enumerated() {
            let aborted = (index == 0 ? error : nil) ?? ErrorInfo(type: "ChainAborted", message: "an earlier step failed: \(task)")
            switch step {
            case .task(let chainStep):
                let message = try encoding.message(chainStep, group: nil)
                app.eagerOutcomes.record(message.id, .init(name: message.name, state: .failure, error: aborted))
                ended.finalID = message.id
                ended.finalGroup = nil
            case .group(let inner):
                var ids: [UUID] = []
                for member in inner.members where !member.isEmpty {
                    let memberEnded = try abort(member, after: task, error: nil)
                    if let id = memberEnded.finalID { ids.append(id) }
                }
                ended.finalID = nil
                ended.finalGroup = (inner.id, ids)
            }
        }
        return ended
    }

    /// Runs one task to its outcome, retrying at once as its options allow, then its callbacks.
    private func run(_ message: TaskMessage, callbacks: ChainStep?) async -> Outcome {
        let label = "\(message.name)[\(message.id.celeryString)]"
        guard let registered = app.registeredTask(named: message.name) else {
            let error = ErrorInfo(type: "NotRegistered", message: "no task named '\(message.name)' is registered in this app")
            app.eagerOutcomes.record(message.id, .init(name: message.name, state: .failure, error: error))
            return .failed(error, task: label)
        }
        let conf = app.conf
        let limit = message.maxRetries ?? registered.options.maxRetries ?? conf.taskDefaultMaxRetries
        var retries = 0
        var outcome: Outcome = .failed(ErrorInfo(type: "RuntimeError", message: "never ran"), task: label)
        for attempt in 1...Self.maximumRuns {
            var taskLogger = logger
            taskLogger[metadataKey: "task_id"] = .string(message.id.celeryString)
            taskLogger[metadataKey: "task_name"] = .string(message.name)
            taskLogger[metadataKey: "task_attempt"] = .stringConvertible(attempt)
            let context = TaskContext(
                id: message.id, name: message.name, queue: message.queue, attempt: attempt, retries: retries,
                maxRetries: limit, hostname: "eager", owner: "eager", rootID: message.rootID ?? message.id,
                parentID: message.parentID, logger: taskLogger)
            app.eagerOutcomes.record(message.id, .init(name: message.name, state: .started))
            do {
                let json = try await registered.body(context, message.args, message.kwargs)
                outcome = .succeeded(json: json)
                break
            } catch let retry as RetryRequest {
                if retries < (retry.maxRetries ?? limit) {
                    retries += 1
                    continue
                }
                outcome = .failed(
                    retry.cause.map { ErrorInfo($0) }
                        ?? ErrorInfo(MaxRetriesExceededError(task: label, maxRetries: retry.maxRetries ?? limit)),
                    task: label)
                break
            } catch is SnoozeRequest {
                continue
            } catch  where registered.options.autoretryFor.contains(where: { $0(error) }) && retries < limit {
                retries += 1
                continue
            } catch {
                outcome = .failed(ErrorInfo(error), task: label)
                break
            }
        }
        switch outcome {
        case .succeeded(let json):
            app.eagerOutcomes.record(message.id, .init(name: message.name, state: .success, resultJSON: json))
            if let link = callbacks?.link { _ = try? await run(link, input: json, group: nil) }
        case .failed(let error, _):
            app.eagerOutcomes.record(message.id, .init(name: message.name, state: .failure, error: error))
            if let linkError = callbacks?.linkError {
                _ = try? await run(linkError, input: "\"" + message.id.celeryString + "\"", group: nil)
            }
        }
        return outcome
    }

    /// `args` (a JSON array) with `value` first.
    static func prepend(_ value: String, to args: String) -> String {
        let body = args.drop { $0 != "[" }.dropFirst()
        let trimmed = body.drop { $0 == " " || $0 == "\n" }
        return trimmed.first == "]" ? "[" + value + "]" : "[" + value + "," + body
    }
}
