import Foundation
import Logging

/// Runs one claimed task in-process and turns whatever happens into a ``Completion``:
/// success, a scheduled retry, or a failure with the error recorded. Never throws, so
/// no task (unknown name, bad arguments, a thrown error) can take the worker down.
struct TaskRunner: Sendable {
    let app: CeleriacApp
    let configuration: Configuration
    let hostname: String
    let owner: String
    /// The log label's prefix: `AsyncPoolWorker` in-process, `ForkPoolWorker` in a child.
    var poolLabel = "AsyncPoolWorker"

    func run(_ task: ClaimedTask, slot: Int) async -> Completion {
        let logger = Logger(label: "\(poolLabel)-\(slot)")
        let started = ContinuousClock.now
        func elapsed() -> Double { (ContinuousClock.now - started).seconds }

        guard let registered = app.registeredTask(named: task.name) else {
            let error = NotRegistered(name: task.name)
            let info = ErrorInfo(error, in: task, worker: owner)
            logger.error("Received unregistered task of type '\(task.name)': \(task.label) failed: \(info)")
            return failure(task, info, runtime: 0)
        }
        let options = registered.options
        let row = task.rowOptions
        let maxRetries = task.maxRetries ?? options.maxRetries ?? configuration.taskDefaultMaxRetries
        // The task's own logger carries the task and worker as metadata, for any swift-log
        // backend; Celery's format prints them as its task logger does (CeleryLogHandler).
        var taskLogger = logger
        taskLogger[metadataKey: "task_id"] = .string(task.id.celeryString)
        taskLogger[metadataKey: "task_name"] = .string(task.name)
        taskLogger[metadataKey: "task_attempt"] = .stringConvertible(task.attempt)
        taskLogger[metadataKey: "worker"] = .string(hostname)
        let context = TaskContext(
            id: task.id,
            name: task.name,
            queue: task.queue,
            attempt: task.attempt,
            retries: task.retries,
            maxRetries: maxRetries,
            hostname: hostname,
            owner: owner,
            rootID: task.rootID ?? task.id,
            parentID: task.parentID,
            logger: taskLogger
        )
        do {
            let softLimit = row.softTimeLimit.map(Duration.fromSeconds) ?? options.softTimeLimit ?? configuration.taskSoftTimeLimit
            let raw = try await withSoftTimeLimit(softLimit) {
                try await TaskTracing.run(
                    task: task.name, id: task.id, queue: task.queue, attempt: task.attempt, carrier: row.trace
                ) {
                    try await registered.body(context, task.args, task.kwargs)
                }
            }
            let runtime = elapsed()
            // PostgreSQL's jsonb cannot hold U+0000; keep the result storable.
            let output = raw.contains("\\u0000") ? raw.replacingOccurrences(of: "\\u0000", with: "\\ufffd") : raw
            guard output.utf8.count <= configuration.maxPayloadBytes else {
                let error = ErrorInfo(
                    type: "PayloadTooLarge",
                    message: "the result takes \(output.utf8.count) bytes, more than the limit of \(configuration.maxPayloadBytes)"
                )
                logger.error("Task \(task.label) raised unexpected: \(error)")
                return failure(task, error, runtime: runtime)
            }
            logger.info("Task \(task.label) succeeded in \(Self.format(runtime))s: \(output)")
            let ignore = row.ignoreResult ?? options.ignoreResult
            return Completion(task, ignore ? .ignored : .succeeded, payload: output, runtime: runtime)
        } catch let retry as RetryRequest {
            return retried(task, retry, options: options, maxRetries: maxRetries, runtime: elapsed(), logger: logger)
        } catch let snooze as SnoozeRequest {
            let countdown = min(max(0, snooze.delay.seconds), 315_360_000)
            logger.info("Task \(task.label) snoozed: again in \(Self.format(countdown))s")
            return Completion(task, .snoozed, payload: "null", countdown: countdown, runtime: elapsed())
        } catch is CancellationError where Task.isCancelled {
            // Stopped from outside: revoked, a cold shutdown or a lost lease. A revoked task ends
            // revoked (the slot table says so); otherwise the outcome is not written (the task
            // goes back to the queue or was rescued), so this is no failure.
            logger.warning("Task \(task.label) stopped by the worker (revoked, cold shutdown or lost lease)")
            return failure(task, ErrorInfo(type: "CancellationError", message: "stopped by the worker"), runtime: elapsed())
        } catch  where options.autoretryFor.contains(where: { $0(error) }) {
            return retried(
                task, RetryRequest(because: error), options: options, maxRetries: maxRetries, runtime: elapsed(), logger: logger)
        } catch {
            let info = ErrorInfo(error, in: task, worker: owner)
            logger.error("Task \(task.label) raised unexpected: \(info)")
            return failure(task, info, runtime: elapsed())
        }
    }

    /// A retry asked for (or an error of ``TaskOptions/autoretryFor``): rescheduled after the
    /// countdown, the backoff or the task's delay, or failed with its cause once the retries are
    /// used up.
    private func retried(
        _ task: ClaimedTask, _ retry: RetryRequest, options: TaskOptions, maxRetries: Int, runtime: Double,
        logger: Logger
    ) -> Completion {
        // A call's own retry delay and backoff (row options) win over the task's.
        let row = task.rowOptions
        let limit = retry.maxRetries ?? maxRetries
        let cause = retry.cause.map { ErrorInfo($0, in: task, worker: owner) }
        guard task.retries < limit else {
            let error = cause ?? ErrorInfo(MaxRetriesExceededError(task: task.label, maxRetries: limit))
            logger.error("Task \(task.label) raised unexpected: \(error)")
            return failure(task, error, runtime: runtime)
        }
        // At most ten years: the database refuses timestamps it cannot represent.
        let delay =
            retry.countdown ?? row.retryBackoff?.delay(afterRetries: task.retries) ?? row.retryDelay.map(Duration.fromSeconds)
            ?? options.retryBackoff?.delay(afterRetries: task.retries) ?? options.defaultRetryDelay
            ?? configuration.taskDefaultRetryDelay
        let countdown = min(max(0, delay.seconds), 315_360_000)
        let reason = cause.map { ": \($0)" } ?? ""
        logger.info("Task \(task.label) retry: Retry in \(Self.format(countdown))s\(reason)")
        return Completion(
            task, .retry, payload: (cause ?? ErrorInfo(type: "Retry", message: "retry requested")).json,
            countdown: countdown, runtime: runtime
        )
    }

    private func failure(_ task: ClaimedTask, _ error: ErrorInfo, runtime: Double) -> Completion {
        Completion(task, .failed, payload: error.json, runtime: runtime)
    }

    /// Runs `body`, cancelling it once `limit` passes; the task then fails with
    /// ``SoftTimeLimitExceeded`` unless it finished anyway.
    private func withSoftTimeLimit(
        _ limit: Duration?,
        _ body: @escaping @Sendable () async throws -> String
    ) async throws -> String {
        guard let limit else { return try await body() }
        return try await withThrowingTaskGroup(of: String?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            while let first = try await group.next() {
                if let output = first { return output }
                group.cancelAll()
                // The body was cancelled; wait for it, then report the limit.
                do {
                    while let late = try await group.next() {
                        if let output = late { return output }
                    }
                } catch {}
                throw SoftTimeLimitExceeded(limit: limit)
            }
            throw SoftTimeLimitExceeded(limit: limit)
        }
    }

    /// `3.004`, `5`, `0.000213`: short but exact enough for logs.
    static func format(_ seconds: Double) -> String {
        if seconds == seconds.rounded(), seconds < 1e9 { return String(Int(seconds)) }
        if seconds >= 0.001 { return String(format: "%.3f", seconds) }
        return String(format: "%.6f", seconds)
    }
}
