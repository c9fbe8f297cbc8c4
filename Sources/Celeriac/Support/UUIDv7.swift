import Foundation

extension UUID {
    /// A version-7 UUID: 48 bits of Unix milliseconds, then random bits. Ids made one
    /// after another sort by creation time, which keeps index inserts local.
    public static func v7(now: Date = Date()) -> UUID {
        let milliseconds = UInt64(max(0, now.timeIntervalSince1970 * 1000))
        var generator = SystemRandomNumberGenerator()
        let random = (generator.next() as UInt64, generator.next() as UInt64)
        var bytes = [UInt8](repeating: 0, count: 16)
        for index in 0..<6 { bytes[index] = UInt8(truncatingIfNeeded: milliseconds >> (8 * (5 - index))) }
        for index in 6..<14 { bytes[index] = UInt8(truncatingIfNeeded: random.0 >> (8 * (index - 6))) }
        bytes[14] = UInt8(truncatingIfNeeded: random.1)
        bytes[15] = UInt8(truncatingIfNeeded: random.1 >> 8)
        bytes[6] = (bytes[6] & 0x0F) | 0x70  // version 7
        bytes[8] = (bytes[8] & 0x3F) | 0x80  // RFC 4122 variant
        return UUID(
            uuid: (
                bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
            ))
    }

    /// The lower-case text form Celery prints, e.g. `0191b2c4-…`.
    public var celeryString: String { uuidString.lowercased() }
}
