import Foundation
import Testing

@testable import Celeriac

/// Exponential retry waits: doubling from the base, capped, and with full jitter spread
/// between zero and that.
@Suite struct RetryBackoffTests {
    /// A fixed sequence, so a jittered wait can be checked exactly.
    struct Counter: RandomNumberGenerator {
        var state: UInt64 = 0x1234_5678
        mutating func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state
        }
    }

    @Test func waitsDoubleFromTheBaseUpToTheCap() {
        let backoff = RetryBackoff(base: .seconds(1), maximum: .seconds(10), jitter: false)
        let waits = (0..<6).map { backoff.delay(afterRetries: $0).seconds }
        #expect(waits == [1, 2, 4, 8, 10, 10])
        // However many retries came before.
        #expect(backoff.delay(afterRetries: 10_000).seconds == 10)
        #expect(backoff.delay(afterRetries: -3).seconds == 1)
    }

    @Test func fullJitterDrawsBetweenZeroAndTheExponentialWait() {
        let backoff = RetryBackoff(base: .milliseconds(100), maximum: .seconds(600))
        var generator = Counter()
        let waits = (0..<200).map { _ in backoff.delay(afterRetries: 4, using: &generator).seconds }
        #expect(waits.allSatisfy { $0 >= 0 && $0 <= 1.6 })
        // Spread out, not bunched at the top: tasks failing together retry apart.
        #expect(Set(waits.map { Int($0 * 10) }).count >= 12)
        #expect(waits.contains { $0 < 0.4 } && waits.contains { $0 > 1.2 })
        // The same draws give the same waits.
        var again = Counter()
        #expect(backoff.delay(afterRetries: 4, using: &again).seconds == waits[0])
    }

    @Test func celerysDefaultsAreOneSecondTenMinutesAndJitter() {
        let backoff = RetryBackoff()
        #expect(backoff.base == .seconds(1) && backoff.maximum == .seconds(600) && backoff.jitter)
    }
}
