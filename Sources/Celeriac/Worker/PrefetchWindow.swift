/// How many claimed tasks a worker keeps waiting for a slot, so that a finishing task's slot
/// starts the next one at once instead of waiting for a claim's round trip: a pure part of the
/// consumer, driven by the time passed in.
///
/// A slot freed while a claim is on its way stays idle for the rest of that round trip, and a
/// claim waits for a quarter of the slots to free up (``ClaimPolicy``). With 10 ms tasks at
/// c=200 that idled slots a third of the time. Celery keeps `prefetch_multiplier` tasks per
/// slot whatever they cost, so a long task can hold others back while another worker idles.
/// Here the window follows the work: as many tasks as finish here in ``roundTrips`` claim
/// round trips, at most half the slots and never more than a claim takes. Tasks that take
/// seconds finish too slowly to leave any waiting, and a task waits in the window about that
/// many round trips at most.
///
/// Prefetched tasks are claimed like running ones: the database shows them started, the
/// worker renews their leases, a stop gives them back and a revoke ends them before they run.
struct PrefetchWindow: Sendable {
    typealias Instant = ContinuousClock.Instant

    /// The window holds what finishes in this many claim round trips.
    static let roundTrips = 3.0
    /// Completions are counted over spans this long before the rate is updated.
    static let span: Duration = .milliseconds(50)
    /// How much of the rate each span's count makes up.
    static let weight = 0.5

    /// Tasks finished per second, smoothed over recent spans.
    private(set) var rate = 0.0
    /// A claim's round trip in seconds, smoothed; none measured yet: 2 ms.
    private(set) var roundTrip = 0.002
    private var spanStart: Instant
    private var counted = 0

    init(now: Instant) {
        spanStart = now
    }

    /// Counts `count` outcomes that arrived at `now`.
    mutating func finished(_ count: Int, now: Instant) {
        counted += count
        let elapsed = now - spanStart
        guard elapsed >= Self.span else { return }
        let spanRate = Double(counted) / elapsed.seconds
        // A long quiet span (idle, or tasks that take seconds) weighs in fully.
        let spans = min(1.0, Self.weight * elapsed.seconds / Self.span.seconds)
        rate += (spanRate - rate) * spans
        counted = 0
        spanStart = now
    }

    /// Records a claim's round trip.
    mutating func claimed(took: Duration) {
        roundTrip += (took.seconds - roundTrip) * Self.weight
    }

    /// The most tasks to keep waiting for a slot with `concurrency` slots and claims of at
    /// most `claimBatch`.
    func size(concurrency: Int, claimBatch: Int) -> Int {
        let wanted = rate * roundTrip * Self.roundTrips
        guard wanted.isFinite, wanted >= 1 else { return 0 }
        return min(concurrency / 2, claimBatch, Int(wanted))
    }
}
