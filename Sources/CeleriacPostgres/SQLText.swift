/// Helpers for writing parameter values and identifiers safely.
public enum SQLText {
    /// Whether `name` is a plain lower-case identifier we are willing to splice into SQL
    /// (schema names and the like): `[a-z_][a-z0-9_]*`, at most 48 characters.
    public static func isSafeIdentifier(_ name: String) -> Bool {
        guard let first = name.utf8.first, name.utf8.count <= 48 else { return false }
        let isStart = (first >= UInt8(ascii: "a") && first <= UInt8(ascii: "z")) || first == UInt8(ascii: "_")
        return isStart && name.utf8.allSatisfy { byte in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "_")
        }
    }

    /// A PostgreSQL array literal (`{"a","b",NULL}`) for use as one text parameter,
    /// e.g. `$1::jsonb[]` or `$1::uuid[]`. Every element is quoted and escaped.
    public static func arrayLiteral<S: Sequence>(_ elements: S) -> String where S.Element == String? {
        var output = "{"
        var first = true
        for element in elements {
            if !first { output += "," }
            first = false
            guard let element else {
                output += "NULL"
                continue
            }
            output += "\""
            for scalar in element.unicodeScalars {
                if scalar == "\"" || scalar == "\\" { output.unicodeScalars.append("\\") }
                output.unicodeScalars.append(scalar)
            }
            output += "\""
        }
        output += "}"
        return output
    }

    /// An array literal of non-null strings.
    public static func arrayLiteral<S: Sequence>(strings elements: S) -> String where S.Element == String {
        arrayLiteral(elements.lazy.map { Optional($0) })
    }
}
