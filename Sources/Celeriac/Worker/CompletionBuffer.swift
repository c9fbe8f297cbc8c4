import Foundation

/// Outcomes waiting to be written: the completion writer's batch policy, pure and driven
/// by the time passed in.
///
/// Every outcome gathered since the last write goes out in one statement, so batches grow by
/// themselves under load with no added latency when idle. An outcome waits at most
/// ``flushDelay`` for others, unless a claim is about to be sent (it rides along in the same
/// round trip), nothing runs any more, or a full batch is ready.
struct CompletionBuffer: Sendable {
    /// How long a finished task's outcome may wait for others to share its write.
    static let flushDelay: Duration = .milliseconds(2)

    /// A full batch: write at once.
    let batchSize: Int
    private(set) var pending: [Completion] = []
    private var oldest: ContinuousClock.Instant?

    init(batchSize: Int) {
        self.batchSize = batchSize
    }

    /// Adds outcomes that arrived at `now`.
    mutating func add(_ completions: [Completion], now: ContinuousClock.Instant) {
        guard !completions.isEmpty else { return }
        if pending.isEmpty { oldest = now }
        pending += completions
    }

    /// Whether to write now.
    func shouldFlush(running: Int, claiming: Bool, now: ContinuousClock.Instant) -> Bool {
        guard !pending.isEmpty else { return false }
        return running == 0 || claiming || pending.count >= batchSize || deadline.map { now >= $0 } ?? false
    }

    /// When the oldest outcome has waited long enough, if any waits.
    var deadline: ContinuousClock.Instant? { oldest.map { $0 + Self.flushDelay } }

    /// The ids of the outcomes not written yet.
    var ids: [UUID] { pending.map(\.id) }

    /// Empties the buffer once its outcomes are written.
    mutating func clear() {
        pending.removeAll(keepingCapacity: true)
        oldest = nil
    }
}
