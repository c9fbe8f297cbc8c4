import Foundation

/// One upstream of events shared by every page that follows `/events/stream`: the first
/// subscriber starts it (one LISTEN session, `CeleriacApp.eventStream()`), the last one to
/// leave stops it. A slow subscriber loses the oldest of its unread lines, never holds up the
/// others: a page only needs to know that something happened. When the upstream ends or fails
/// (the database went away), every subscriber's stream ends, so browsers reconnect (and poll
/// meanwhile), and the next subscriber starts a fresh upstream.
actor EventBroadcast {
    typealias Source = @Sendable () -> AsyncThrowingStream<String, any Error>

    private let source: Source
    private var subscribers: [Int: AsyncStream<String>.Continuation] = [:]
    private var nextID = 0
    private var upstream: Task<Void, Never>?
    /// Upstreams started so far (for tests: one per period with subscribers).
    private(set) var upstreamsStarted = 0

    /// Lines a subscriber may have unread before the oldest are dropped.
    static let buffer = 256

    init(source: @escaping Source) {
        self.source = source
    }

    var subscriberCount: Int { subscribers.count }

    /// A new subscriber's id and lines; call ``unsubscribe(_:)`` with the id when done.
    func subscribe() -> (id: Int, lines: AsyncStream<String>) {
        let (lines, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(Self.buffer))
        nextID += 1
        let id = nextID
        subscribers[id] = continuation
        if upstream == nil { start() }
        return (id, lines)
    }

    func unsubscribe(_ id: Int) {
        subscribers.removeValue(forKey: id)?.finish()
        if subscribers.isEmpty {
            upstream?.cancel()
            upstream = nil
        }
    }

    private func start() {
        upstreamsStarted += 1
        let generation = upstreamsStarted
        let source = self.source
        upstream = Task {
            do {
                for try await line in source() { self.publish(line) }
            } catch {}
            self.ended(generation)
        }
    }

    private func publish(_ line: String) {
        for subscriber in subscribers.values { subscriber.yield(line) }
    }

    /// The upstream of `generation` ended: end every subscriber of it.
    private func ended(_ generation: Int) {
        guard generation == upstreamsStarted, upstream != nil else { return }
        upstream = nil
        for subscriber in subscribers.values { subscriber.finish() }
        subscribers.removeAll()
    }
}
