/// How one worker process runs, from the command line (`worker -c 2 -Q a,b -n name`).
public struct WorkerOptions: Sendable {
    /// Queues to consume (`-Q`); empty means the app's default queue.
    public var queues: [String] = []
    /// Tasks run at once (`-c`); nil uses `worker_concurrency`.
    public var concurrency: Int?
    /// The node name (`-n`), `%h` expands to the host name. Default `celeriac@%h`.
    public var nodeName: String = "celeriac@%h"
    /// Record task events (`-E`) even if ``Configuration/workerSendTaskEvents`` is off.
    public var events: Bool = false
    /// Also run beat in this process (`-B`), like Celery's embedded beat.
    public var embedBeat: Bool = false
    /// The execution pool (`--pool`): `async` (in-process, Swift concurrency) or `prefork`
    /// (one child process per slot: crash isolation and hard time limits).
    public var pool: String = "async"
    /// Prefork: replace a child after this many tasks (`--max-tasks-per-child`).
    public var maxTasksPerChild: Int?
    /// Prefork: replace a child once its resident memory passes this many KiB
    /// (`--max-memory-per-child`, as in Celery).
    public var maxMemoryPerChildKiB: Int?
    /// Prefork: the log level children log at.
    public var childLogLevel: String = "INFO"

    public init() {}
}
