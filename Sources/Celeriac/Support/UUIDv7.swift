import Foundation

#if canImport(Glibc)
    import Glibc
#endif

extension UUID {
    /// A version-7 UUID: 48 bits of Unix milliseconds, then random bits. Ids made one
    /// after another sort by creation time, which keeps index inserts local.
    public static func v7(now: Date = Date()) -> UUID {
        let milliseconds = UInt64(max(0, now.timeIntervalSince1970 * 1000))
        var random: (UInt64, UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &random) { UUID.fillRandom($0) }
        let (high, low) = random
        func byte(_ value: UInt64, _ shift: UInt64) -> UInt8 { UInt8(truncatingIfNeeded: value >> shift) }
        return UUID(
            uuid: (
                byte(milliseconds, 40), byte(milliseconds, 32), byte(milliseconds, 24), byte(milliseconds, 16),
                byte(milliseconds, 8), byte(milliseconds, 0),
                0x70 | (byte(high, 0) & 0x0F),  // version 7
                byte(high, 8),
                0x80 | (byte(high, 16) & 0x3F),  // RFC 4122 variant
                byte(high, 24), byte(high, 32), byte(high, 40), byte(high, 48), byte(high, 56),
                byte(low, 0), byte(low, 8)
            ))
    }

    /// Cryptographically random bytes: task ids must not be guessable. glibc's
    /// `arc4random_buf` draws them from a per-thread generator seeded by the kernel,
    /// without a system call per id.
    private static func fillRandom(_ buffer: UnsafeMutableRawBufferPointer) {
        #if canImport(Glibc)
            guard let base = buffer.baseAddress else { return }
            arc4random_buf(base, buffer.count)
        #else
            var generator = SystemRandomNumberGenerator()
            for index in buffer.indices { buffer[index] = generator.next() }
        #endif
    }

    /// The lower-case text form Celery prints, e.g. `0191b2c4-…`.
    public var celeryString: String {
        let hex: StaticString = "0123456789abcdef"
        return withUnsafeBytes(of: uuid) { bytes in
            String(unsafeUninitializedCapacity: 36) { output in
                hex.withUTF8Buffer { digits in
                    var position = 0
                    for (index, value) in bytes.enumerated() {
                        if index == 4 || index == 6 || index == 8 || index == 10 {
                            output[position] = UInt8(ascii: "-")
                            position += 1
                        }
                        output[position] = digits[Int(value >> 4)]
                        output[position + 1] = digits[Int(value & 0x0F)]
                        position += 2
                    }
                    return position
                }
            }
        }
    }
}
