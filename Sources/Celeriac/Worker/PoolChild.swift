import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The loop of one prefork child: reads claimed tasks (JSON lines) on standard input,
/// runs each in this process, and writes the outcome (a JSON line) to file descriptor 3.
/// Exits after `maxTasks` tasks, or once its resident memory passes `maxMemoryKiB`, so
/// the supervisor starts a fresh child.
package enum PoolChild {
    /// The signal the supervisor sends to stop the running task cooperatively (a revoke
    /// without terminate): its Swift task is cancelled, as a soft time limit does.
    static let interruptSignal = SIGUSR1

    /// Runs until standard input closes or a recycling limit is reached.
    package static func run(
        app: CeleriacApp,
        slot: Int,
        hostname: String,
        owner: String,
        maxTasks: Int?,
        maxMemoryKiB: Int?
    ) async throws {
        // The supervisor decides when children stop (it closes their input, or kills them):
        // a Ctrl-C sent to the whole process group must not kill running tasks.
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        signal(interruptSignal, SIG_IGN)
        let running = Mutex<Task<Completion, Never>?>(nil)
        let interrupts = DispatchSource.makeSignalSource(signal: interruptSignal, queue: .global())
        interrupts.setEventHandler { running.withLock { $0?.cancel() } }
        interrupts.resume()
        defer { interrupts.cancel() }
        var runner = TaskRunner(app: app, configuration: app.conf, hostname: hostname, owner: owner)
        runner.poolLabel = "ForkPoolWorker"
        let input = LineReader(descriptor: 0)
        var done = 0
        // Reading blocks only between tasks, when this process has nothing else to do.
        while let line = input.next() {
            guard let task = try? JSONDecoder().decode(ClaimedTask.self, from: line) else { continue }
            guard PreforkPool.writeAll(3, Data((PreforkPool.startedLine + "\n").utf8)) else { return }
            let work = Task { [runner] in await runner.run(task, slot: slot) }
            running.withLock { $0 = work }
            let completion = await work.value
            running.withLock { $0 = nil }
            done += 1
            let retiring = (maxTasks.map { done >= $0 } ?? false) || (maxMemoryKiB.map { residentKiB() > $0 } ?? false)
            var reply = Data()
            // Said before the last outcome, so the supervisor starts the replacement before
            // it frees the slot and no task is sent to a child on its way out.
            if retiring { reply.append(contentsOf: Array(PreforkPool.retiringLine.utf8) + [UInt8(ascii: "\n")]) }
            reply.append(try JSONEncoder().encode(completion))
            reply.append(UInt8(ascii: "\n"))
            guard PreforkPool.writeAll(3, reply) else { return }
            if retiring { return }
        }
    }

    /// This process's resident set size in KiB (Linux).
    static func residentKiB() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return 0 }
        return Int(line.split(separator: " ").dropFirst().first { Int($0) != nil } ?? "0") ?? 0
    }
}
