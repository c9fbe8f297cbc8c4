/// Turns snake_case SQL names into Swift identifiers.
public enum SwiftName {
    /// Words that must be wrapped in backticks to be used as property or parameter names.
    public static let keywords: Set<String> = [
        "Any", "Self", "Type", "as", "associatedtype", "async", "await", "break", "case", "catch", "class", "continue",
        "default", "defer", "deinit", "do", "else", "enum", "extension", "fallthrough", "false", "fileprivate", "for",
        "func", "guard", "if", "import", "in", "init", "inout", "internal", "is", "let", "nil", "open", "operator",
        "package", "precedencegroup", "private", "protocol", "public", "repeat", "rethrows", "return", "self", "some",
        "static", "struct", "subscript", "super", "switch", "throw", "throws", "true", "try", "typealias", "var",
        "where", "while",
    ]

    /// `periodic_tasks` → `PeriodicTasks`.
    public static func upperCamel(_ snake: String) -> String {
        snake.split(separator: "_").map { word in word.prefix(1).uppercased() + word.dropFirst() }.joined()
    }

    /// `lease_seconds` → `leaseSeconds`.
    public static func lowerCamel(_ snake: String) -> String {
        let words = snake.split(separator: "_")
        guard let first = words.first else { return "" }
        return String(first) + words.dropFirst().map { word in word.prefix(1).uppercased() + word.dropFirst() }.joined()
    }

    /// The identifier, backtick-escaped when it is a Swift keyword.
    public static func escaped(_ identifier: String) -> String {
        keywords.contains(identifier) ? "`\(identifier)`" : identifier
    }

    /// `lowerCamel` followed by `escaped`: the property name for a snake_case SQL name.
    public static func property(_ snake: String) -> String {
        escaped(lowerCamel(snake))
    }

    /// Whether `name` matches `[a-z][a-z0-9_]*`.
    public static func isSnakeName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, ("a"..."z").contains(first) else { return false }
        return name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }
}
