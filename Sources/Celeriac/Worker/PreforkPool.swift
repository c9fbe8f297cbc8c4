import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Celery's prefork pool: one child process per slot, each running one task at a time.
///
/// A task that crashes its process (`fatalError`, a force-unwrap, a segfault, `exit`)
/// takes down its child only: the supervisor reports the attempt as failed with
/// `WorkerLostError` (or retries it when sent with acks-late and
/// `task_reject_on_worker_lost`), starts a new child, and the other slots go on. A task
/// running past its hard time limit has its child killed: it fails with
/// `TimeLimitExceeded`. Children print through the supervisor's log as
/// `WARNING/ForkPoolWorker-N`; they are recycled after `maxTasksPerChild` tasks or when
/// they grow past `maxMemoryPerChildKiB`.
///
/// Children are this same executable started with the hidden `pool-child` command, so
/// the app must be hosted with `CeleriacCommandLine.main(app:)`.
///
/// `@unchecked Sendable`: the children table is behind a Mutex; file descriptors are
/// used by the one thread that owns each.
final class PreforkPool: ExecutionPool, @unchecked Sendable {
    struct Settings: Sendable {
        var size: Int
        /// Arguments after the executable path, starting with `pool-child`; `--slot N` is appended.
        var arguments: [String]
        var environment: [String: String]
        var rejectOnWorkerLost: Bool
    }

    private struct InFlight {
        var task: ClaimedTask
        var continuation: CheckedContinuation<Completion, Never>
        var started: ContinuousClock.Instant
        var deadline: ContinuousClock.Instant?
        var limit: Duration?
        var killedForTimeLimit = false
    }

    private struct Child {
        var pid: pid_t
        var input: Int32
        var inFlight: InFlight?
    }

    private let settings: Settings
    private let app: CeleriacApp
    private let configuration: Configuration
    private let logger = Logger(label: "MainProcess")
    private let children = Mutex<[Int: Child]>([:])
    private let stopping = Mutex(false)

    init(settings: Settings, app: CeleriacApp, configuration: Configuration) {
        self.settings = settings
        self.app = app
        self.configuration = configuration
    }

    func start() throws {
        // Ignored here, so children start with it ignored (exec keeps ignored signals): one
        // sent before a child installs its handler is lost, not fatal; the revoke is sent
        // again at the next heartbeat.
        signal(PoolChild.interruptSignal, SIG_IGN)
        for slot in 1...settings.size { try spawn(slot: slot) }
        let watcher = Thread { [self] in self.watchTimeLimits() }
        watcher.name = "celeriac-prefork-timer"
        watcher.start()
    }

    func shutdown() {
        stopping.withLock { $0 = true }
        let all = children.withLock { children -> [Child] in
            defer { children.removeAll() }
            return Array(children.values)
        }
        // Closing a child's input ends its loop after the current task.
        for child in all { close(child.input) }
        for child in all {
            var status: Int32 = 0
            _ = waitpid(child.pid, &status, 0)
        }
    }

    func interrupt(_ taskID: UUID) -> Bool {
        let pid = children.withLock { children in children.values.first { $0.inFlight?.task.id == taskID }?.pid }
        if let pid { kill(pid, PoolChild.interruptSignal) }
        return true
    }

    func addSlots(_ slots: [Int]) throws {
        for slot in slots { try spawn(slot: slot) }
    }

    func removeSlots(_ slots: [Int]) {
        // Its reader sees the input close, finds the slot gone and starts no replacement.
        let inputs = children.withLock { children in slots.compactMap { children.removeValue(forKey: $0)?.input } }
        for input in inputs { close(input) }
    }

    func execute(_ task: ClaimedTask, slot: Int) async -> Completion {
        let pidBox = Mutex<pid_t>(0)
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Completion, Never>) in
                let limit = hardLimit(for: task)
                let now = ContinuousClock.now
                let input = children.withLock { children -> Int32? in
                    guard var child = children[slot] else { return nil }
                    // The deadline is set when the child says it started the task.
                    child.inFlight = InFlight(task: task, continuation: continuation, started: now, deadline: nil, limit: limit)
                    children[slot] = child
                    pidBox.withLock { $0 = child.pid }
                    return child.input
                }
                guard let input else {
                    continuation.resume(
                        returning: Self.failure(
                            task, ErrorInfo(type: "WorkerLostError", message: "no pool process for slot \(slot)"), runtime: 0))
                    return
                }
                do {
                    var line = try JSONEncoder().encode(task)
                    line.append(UInt8(ascii: "\n"))
                    // A failed write means the child died: its reader reports the task.
                    _ = Self.writeAll(input, line)
                } catch {
                    logger.error("prefork: could not encode \(task.label): \(error)")
                }
            }
        } onCancel: {
            let pid = pidBox.withLock { $0 }
            if pid > 0 { kill(pid, SIGKILL) }
        }
    }

    // MARK: - Children

    /// Serialises spawns, so no pipe end opened for one child leaks into another before it
    /// is marked close-on-exec.
    private let spawning = Mutex(())

    private func spawn(slot: Int) throws {
        try spawning.withLock { _ in try spawnLocked(slot: slot) }
    }

    private func spawnLocked(slot: Int) throws {
        let taskPipe = try Self.pipe()
        let resultPipe = try Self.pipe()
        let outputPipe = try Self.pipe()
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, taskPipe.read, 0)
        posix_spawn_file_actions_adddup2(&actions, outputPipe.write, 1)
        posix_spawn_file_actions_adddup2(&actions, outputPipe.write, 2)
        posix_spawn_file_actions_adddup2(&actions, resultPipe.write, 3)
        let executable = "/proc/self/exe"
        let arguments = [executable] + settings.arguments + ["--slot", String(slot)]
        let environment = ProcessInfo.processInfo.environment.merging(settings.environment) { $1 }.map { "\($0)=\($1)" }
        let cArguments = arguments.map { strdup($0) } + [nil]
        let cEnvironment = environment.map { strdup($0) } + [nil]
        defer {
            cArguments.forEach { free($0) }
            cEnvironment.forEach { free($0) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, nil, cArguments, cEnvironment)
        close(taskPipe.read)
        close(resultPipe.write)
        close(outputPipe.write)
        guard result == 0 else {
            close(taskPipe.write)
            close(resultPipe.read)
            close(outputPipe.read)
            throw ConfigurationError("could not start a pool process: error \(result)")
        }
        let childPID = pid
        children.withLock { $0[slot] = Child(pid: childPID, input: taskPipe.write, inFlight: nil) }
        let reader = Thread { [self] in self.readResults(slot: slot, pid: childPID, descriptor: resultPipe.read) }
        reader.name = "celeriac-prefork-results-\(slot)"
        reader.start()
        let printer = Thread { [self] in self.relayOutput(slot: slot, descriptor: outputPipe.read) }
        printer.name = "celeriac-prefork-output-\(slot)"
        printer.start()
    }

    /// Reads the child's outcomes; on end of file the child is gone: report its task, if
    /// any, and start a new child.
    /// What a child says before its last outcome when it is about to exit (recycling).
    static let retiringLine = "retiring"
    /// What a child says when it starts running the task it was sent: the hard time limit
    /// counts from here, not from the hand-over (a child just started may take a while to
    /// read its first task on a loaded machine).
    static let startedLine = "started"

    private func readResults(slot: Int, pid: pid_t, descriptor: Int32) {
        let reader = LineReader(descriptor: descriptor)
        var retiring = false
        while let line = reader.next() {
            if line == Data(Self.retiringLine.utf8) {
                retiring = true
                continue
            }
            if line == Data(Self.startedLine.utf8) {
                let now = ContinuousClock.now
                children.withLock { children in
                    guard var child = children[slot], child.pid == pid, var inFlight = child.inFlight else { return }
                    inFlight.started = now
                    inFlight.deadline = inFlight.limit.map { now + $0 }
                    child.inFlight = inFlight
                    children[slot] = child
                }
                continue
            }
            guard let completion = try? JSONDecoder().decode(Completion.self, from: line) else { continue }
            let inFlight = children.withLock { children -> InFlight? in
                guard var child = children[slot], child.pid == pid, let inFlight = child.inFlight,
                    inFlight.task.id == completion.id
                else { return nil }
                child.inFlight = nil
                children[slot] = child
                return inFlight
            }
            if retiring, !stopping.withLock({ $0 }) {
                // Replace the child first: the slot must not be handed a task the old one won't read.
                let old = children.withLock { $0[slot] }
                do { try spawn(slot: slot) } catch { logger.error("prefork: \(error)") }
                if let old { close(old.input) }
            }
            inFlight?.continuation.resume(returning: completion)
        }
        close(descriptor)
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
        // Still this slot's child (not already replaced after retiring)?
        let (current, orphan, input) = children.withLock { children -> (Bool, InFlight?, Int32?) in
            guard let child = children[slot], child.pid == pid else { return (false, nil, nil) }
            children[slot] = nil
            return (true, child.inFlight, child.input)
        }
        if let input { close(input) }
        let stopping = self.stopping.withLock { $0 }
        let exitedBadly = orphan != nil || !(Self.exited(status) && Self.exitCode(status) == 0)
        if exitedBadly {
            logger.error("Process 'ForkPoolWorker-\(slot)' pid:\(pid) exited with '\(Self.describe(status))'")
        }
        if current, !stopping {
            do { try spawn(slot: slot) } catch { logger.error("prefork: \(error)") }
        }
        if let orphan { orphan.continuation.resume(returning: outcome(ofLost: orphan, status: status)) }
    }

    /// The child's stdout and stderr: its own log lines pass through; anything else a task
    /// printed is logged as a warning of that child, as Celery does.
    private func relayOutput(slot: Int, descriptor: Int32) {
        let reader = LineReader(descriptor: descriptor)
        let childLogger = Logger(label: "ForkPoolWorker-\(slot)")
        while let data = reader.next() {
            let line = String(decoding: data, as: UTF8.self)
            if line.hasPrefix("["), line.contains("/ForkPoolWorker-") {
                FileHandle.standardError.write(Data((line + "\n").utf8))
            } else if !line.isEmpty {
                childLogger.warning("\(line)")
            }
        }
        close(descriptor)
    }

    private func watchTimeLimits() {
        while !stopping.withLock({ $0 }) {
            let now = ContinuousClock.now
            let overdue = children.withLock { children -> [pid_t] in
                var pids: [pid_t] = []
                for (slot, var child) in children {
                    guard var inFlight = child.inFlight, !inFlight.killedForTimeLimit, let deadline = inFlight.deadline,
                        now >= deadline
                    else { continue }
                    inFlight.killedForTimeLimit = true
                    child.inFlight = inFlight
                    children[slot] = child
                    pids.append(child.pid)
                }
                return pids
            }
            for pid in overdue { kill(pid, SIGKILL) }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    // MARK: - Outcomes

    private func hardLimit(for task: ClaimedTask) -> Duration? {
        task.rowOptions.timeLimit.map(Duration.fromSeconds) ?? app.registeredTask(named: task.name)?.options.timeLimit
            ?? configuration.taskTimeLimit
    }

    private func outcome(ofLost inFlight: InFlight, status: Int32) -> Completion {
        let task = inFlight.task
        let runtime = (ContinuousClock.now - inFlight.started).seconds
        if inFlight.killedForTimeLimit, let limit = inFlight.limit {
            let error = ErrorInfo(type: "TimeLimitExceeded", message: "TimeLimitExceeded(\(TaskRunner.format(limit.seconds)))")
            logger.error("Hard time limit (\(TaskRunner.format(limit.seconds))s) exceeded for \(task.label)")
            return Self.failure(task, error, runtime: runtime)
        }
        let error = ErrorInfo(type: "WorkerLostError", message: "Worker exited prematurely: \(Self.describe(status)).")
        let maxRetries =
            task.maxRetries ?? app.registeredTask(named: task.name)?.options.maxRetries
            ?? configuration.taskDefaultMaxRetries
        let acksLate =
            task.rowOptions.acksLate ?? app.registeredTask(named: task.name)?.options.acksLate ?? configuration.taskAcksLate
        if acksLate, settings.rejectOnWorkerLost, task.retries < maxRetries {
            logger.warning("Task \(task.label) retry: its process died (\(Self.describe(status))); rejected back to the queue")
            return Completion(task, .retry, payload: error.json, runtime: runtime)
        }
        logger.error("Task \(task.label) raised unexpected: \(error)")
        return Self.failure(task, error, runtime: runtime)
    }

    private static func failure(_ task: ClaimedTask, _ error: ErrorInfo, runtime: Double) -> Completion {
        Completion(task, .failed, payload: error.json, runtime: runtime)
    }

    // MARK: - Helpers

    private static func exited(_ status: Int32) -> Bool { status & 0x7f == 0 }
    private static func exitCode(_ status: Int32) -> Int32 { (status >> 8) & 0xff }

    /// `signal 9 (SIGKILL)` or `exitcode 1`.
    static func describe(_ status: Int32) -> String {
        if exited(status) { return "exitcode \(exitCode(status))" }
        let number = status & 0x7f
        let names: [Int32: String] = [
            SIGKILL: "SIGKILL", SIGSEGV: "SIGSEGV", SIGABRT: "SIGABRT", SIGILL: "SIGILL", SIGTERM: "SIGTERM",
            SIGBUS: "SIGBUS", SIGFPE: "SIGFPE", SIGTRAP: "SIGTRAP",
        ]
        return "signal \(number)" + (names[number].map { " (\($0))" } ?? "")
    }

    private static func pipe() throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [0, 0]
        guard Glibc.pipe(&fds) == 0 else { throw ConfigurationError("pipe() failed: errno \(errno)") }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return (fds[0], fds[1])
    }

    static func writeAll(_ descriptor: Int32, _ data: Data) -> Bool {
        data.withUnsafeBytes { buffer -> Bool in
            guard var pointer = buffer.baseAddress else { return true }
            var remaining = buffer.count
            while remaining > 0 {
                let written = write(descriptor, pointer, remaining)
                if written < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                pointer += written
                remaining -= written
            }
            return true
        }
    }
}

/// Reads newline-terminated lines from a blocking descriptor.
final class LineReader {
    private let descriptor: Int32
    private var buffer = Data()
    private var finished = false

    init(descriptor: Int32) { self.descriptor = descriptor }

    /// The next line without its newline, or nil at end of file.
    func next() -> Data? {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = buffer[buffer.startIndex..<newline]
                buffer = Data(buffer[buffer.index(after: newline)...])
                return Data(line)
            }
            if finished {
                guard !buffer.isEmpty else { return nil }
                defer { buffer.removeAll() }
                return buffer
            }
            var chunk = [UInt8](repeating: 0, count: 65_536)
            let count = read(descriptor, &chunk, chunk.count)
            if count > 0 {
                buffer.append(contentsOf: chunk[0..<count])
            } else if count == 0 || errno != EINTR {
                finished = true
            }
        }
    }
}
