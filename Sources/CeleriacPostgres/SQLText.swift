/// Helpers for writing parameter values and identifiers safely.
public enum SQLText {
    /// Whether `name` is a plain lower-case identifier we are willing to splice into SQL
    /// (schema names and the like): `[a-z_][a-z0-9_]*`, at most 48 characters.
    public static func isSafeIdentifier(_ name: String) -> Bool {
        guard let first = name.utf8.first, name.utf8.count <= 48 else { return false }
        let isStart = (first >= UInt8(ascii: "a") && first <= UInt8(ascii: "z")) || first == UInt8(ascii: "_")
        return isStart
            && name.utf8.allSatisfy { byte in
                (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                    || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "_")
            }
    }

    /// A PostgreSQL array literal (`{"a","b",NULL}`) for use as one text parameter,
    /// e.g. `$1::jsonb[]` or `$1::uuid[]`. Every element is quoted and escaped.
    ///
    /// Bulk enqueue turns tens of thousands of values into literals, so this is built byte
    /// by byte, copies elements that need no escaping in one piece, and is inlinable so
    /// callers get a version specialised for their sequence type.
    @inlinable
    public static func arrayLiteral<S: Sequence>(_ elements: S) -> String where S.Element == String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(elements.underestimatedCount * 24 + 2)
        bytes.append(UInt8(ascii: "{"))
        var first = true
        for element in elements {
            if !first { bytes.append(UInt8(ascii: ",")) }
            first = false
            guard var element else {
                bytes.append(contentsOf: "NULL".utf8)
                continue
            }
            bytes.append(UInt8(ascii: "\""))
            element.withUTF8 { utf8 in
                if !utf8.contains(where: { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
                    bytes.append(contentsOf: utf8)
                    return
                }
                for byte in utf8 {
                    if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { bytes.append(UInt8(ascii: "\\")) }
                    bytes.append(byte)
                }
            }
            bytes.append(UInt8(ascii: "\""))
        }
        bytes.append(UInt8(ascii: "}"))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// An array literal of non-null strings.
    @inlinable
    public static func arrayLiteral<S: Sequence>(strings elements: S) -> String where S.Element == String {
        arrayLiteral(elements.lazy.map { Optional($0) })
    }
}
