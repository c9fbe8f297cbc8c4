/// The type of a declared parameter or result column, e.g. `uuid`, `text[]?`.
public struct SQLType: Sendable, Equatable, CustomStringConvertible {
    /// The SQL base types the catalogue understands.
    public enum Base: String, Sendable, CaseIterable {
        case text
        case int
        case float8
        case bool
        case uuid
        case json
        case textArray = "text[]"
        case uuidArray = "uuid[]"
        case intArray = "int[]"
        case float8Array = "float8[]"
        case array

        /// The non-optional Swift type values of this SQL type have.
        public var swiftType: String {
            switch self {
            case .text, .json: "String"
            case .int: "Int"
            case .float8: "Double"
            case .bool: "Bool"
            case .uuid: "UUID"
            case .textArray: "[String]"
            case .uuidArray: "[UUID]"
            case .intArray: "[Int]"
            case .float8Array: "[Double]"
            case .array: "SQLArray"
            }
        }

        /// The `SQLEncode`/`SQLDecode` function name for this type.
        public var codecName: String {
            switch self {
            case .textArray: "textArray"
            case .uuidArray: "uuidArray"
            case .intArray: "intArray"
            case .float8Array: "float8Array"
            default: rawValue
            }
        }
    }

    /// The base type.
    public var base: Base
    /// Whether SQL `NULL` is allowed (written with a trailing `?`).
    public var nullable: Bool

    /// Creates a type.
    public init(base: Base, nullable: Bool) {
        self.base = base
        self.nullable = nullable
    }

    /// Parses a type as written in a header line (`int`, `uuid?`, `text[]?`); `nil` if unknown.
    public init?(parsing text: String) {
        var spelling = text.trimmingWhitespace()
        let nullable = spelling.hasSuffix("?")
        if nullable { spelling.removeLast() }
        guard let base = Base(rawValue: spelling) else { return nil }
        self.init(base: base, nullable: nullable)
    }

    /// The Swift type, optional when nullable.
    public var swiftType: String {
        nullable ? base.swiftType + "?" : base.swiftType
    }

    /// The `SQLEncode` function that encodes a value of this type (same name for optionals).
    public var encoder: String {
        "SQLEncode.\(base.codecName)"
    }

    /// The `SQLDecode` function that decodes a column of this type.
    public var decoder: String {
        nullable ? "SQLDecode.\(base.codecName)OrNil" : "SQLDecode.\(base.codecName)"
    }

    /// The type as written in SQL headers.
    public var description: String {
        nullable ? base.rawValue + "?" : base.rawValue
    }
}
