import Foundation

extension UUID {
    /// The time a version-7 id was made (its first 48 bits), or `nil` for another version.
    public var uuidV7Date: Date? {
        let bytes = uuid
        guard bytes.6 >> 4 == 7 else { return nil }
        let milliseconds = [bytes.0, bytes.1, bytes.2, bytes.3, bytes.4, bytes.5].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return Date(timeIntervalSince1970: Double(milliseconds) / 1000)
    }

    /// The id just after this one in PostgreSQL's order (bytewise, as an unsigned 128-bit
    /// number), wrapping at the end: an exclusive upper bound that still includes this id.
    public var successor: UUID { stepped(up: true) }

    /// The id just before this one in PostgreSQL's order: an exclusive lower bound that still
    /// includes this id.
    public var predecessor: UUID { stepped(up: false) }

    private func stepped(up: Bool) -> UUID {
        var bytes = withUnsafeBytes(of: uuid) { Array($0) }
        for index in bytes.indices.reversed() {
            let (value, carried) = up ? bytes[index].addingReportingOverflow(1) : bytes[index].subtractingReportingOverflow(1)
            bytes[index] = value
            if !carried { break }
        }
        return bytes.withUnsafeBytes { UUID(uuid: $0.loadUnaligned(as: uuid_t.self)) }
    }
}
