/// When the worker claims, and how many: a pure part of the consumer, driven by the time
/// passed in, so tests decide the clock.
///
/// - A claim asks for as many tasks as there are free slots (at most the claim batch), once
///   a quarter of the slots is free, nothing runs, or ``claimDelay`` has passed: small claims
///   cost a round trip and a commit each, so under load they are gathered into batches.
/// - A claim that comes back short means the queues are drained: the worker waits for a
///   NOTIFY, the next scheduled task, the poll interval, or one of ``listeningRechecks``.
struct ClaimPolicy: Sendable {
    /// How long free slots may wait for others before a smaller claim is made anyway.
    static let claimDelay: Duration = .milliseconds(20)

    /// When the worker starts waiting for work, it claims again this long after.
    ///
    /// Producers NOTIFY only when a worker of the queue is waiting (migration 0005). The
    /// claim that makes this worker "waiting" cannot see a task whose insert is committing
    /// at that moment, and that insert saw the worker still busy and sent no NOTIFY: such a
    /// task is found by these looks instead of waiting for the poll interval. The second
    /// covers a commit slowed by the disk. Each time the worker turns to waiting the
    /// schedule starts over, so these add at most one claim per 20 ms, whatever the task rate.
    static let listeningRechecks: [Duration] = [.milliseconds(20), .milliseconds(250)]

    typealias Instant = ContinuousClock.Instant

    /// The most tasks one claim asks for.
    let claimBatch: Int
    /// How often a waiting worker claims without being woken.
    let pollInterval: Duration
    /// Claim once this many slots are free (or nothing runs).
    let threshold: Int

    /// Whether there may be work to claim (a short claim clears it; a NOTIFY, the poll or a
    /// recheck sets it).
    private(set) var needClaim = true
    /// Whether the database shows this worker as waiting for work.
    private(set) var listening = false
    private(set) var lastClaim: Instant
    /// When to claim anyway (the poll interval, or the next scheduled task).
    private(set) var nextPoll: Instant
    private var rechecks: [Instant] = []

    init(concurrency: Int, claimBatch: Int, pollInterval: Duration, now: Instant) {
        self.claimBatch = claimBatch
        self.pollInterval = pollInterval
        threshold = max(1, min(claimBatch, concurrency / 4))
        lastClaim = now
        nextPoll = now + pollInterval
    }

    /// How many tasks to claim now, or nil not to claim. `free` is 0 while stopping.
    /// `threshold` replaces the quarter of the slots (the consumer's prefetch window claims
    /// once half of it is free).
    func claimSize(free: Int, running: Int, now: Instant, threshold: Int? = nil) -> Int? {
        guard needClaim, free > 0 else { return nil }
        guard free >= (threshold ?? self.threshold) || running == 0 || now - lastClaim >= Self.claimDelay else { return nil }
        return min(free, claimBatch)
    }

    /// Records a claim that asked for `asked` tasks and got `got`; `more` when the database
    /// says a queue may hold more although the claim came back short (a worker of several
    /// queues shares its claim among them). Returns true when the worker now waits for work:
    /// the caller then looks up the next scheduled task and calls
    /// ``scheduleNextPoll(dueIn:now:)``.
    mutating func claimed(asked: Int, got: Int, more: Bool = false, now: Instant) -> Bool {
        lastClaim = now
        needClaim = got == asked || more
        if needClaim {
            listening = false
            rechecks.removeAll()
            return false
        }
        if !listening { rechecks = Self.listeningRechecks.map { now + $0 } }
        listening = true
        return true
    }

    /// The next waiting task is due in `seconds` (nil: none waits): look again then, or after
    /// the poll interval, whichever comes first. A task already due but not claimable is
    /// locked by another worker's claim: look again soon.
    mutating func scheduleNextPoll(dueIn seconds: Double?, now: Instant) {
        guard let seconds, seconds.isFinite, seconds < pollInterval.seconds else {
            nextPoll = now + pollInterval
            return
        }
        nextPoll = now + .fromSeconds(seconds <= 0 ? 0.05 : seconds)
    }

    /// After a wait: whether a NOTIFY named one of this worker's queues. The poll time and
    /// the rechecks also make the next claim due.
    mutating func woke(notified: Bool, now: Instant) {
        if notified { needClaim = true }
        if now >= nextPoll {
            needClaim = true
            nextPoll = now + pollInterval
        }
        if let recheck = rechecks.first, now >= recheck {
            needClaim = true
            rechecks.removeFirst()
        }
    }

    /// A new connection: notifications may have been missed, and the database's `listening`
    /// flag was reset by nobody: claim at once.
    mutating func reconnected() {
        needClaim = true
        listening = false
    }

    /// The latest moment the loop may sleep until, as far as claiming goes.
    func deadline(free: Int) -> Instant {
        var deadline = nextPoll
        if needClaim, free > 0 { deadline = min(deadline, lastClaim + Self.claimDelay) }
        if let recheck = rechecks.first { deadline = min(deadline, recheck) }
        return deadline
    }
}
