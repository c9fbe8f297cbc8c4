extension StringProtocol {
    /// The text without leading and trailing spaces, tabs, carriage returns and newlines.
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[first...last])
    }

    /// The text without trailing spaces, tabs, carriage returns and newlines.
    func trimmingTrailingWhitespace() -> String {
        guard let last = lastIndex(where: { $0 != " " && $0 != "\t" && $0 != "\n" && $0 != "\r" }) else { return "" }
        return String(self[...last])
    }

    /// The leading spaces and tabs.
    func leadingIndentation() -> String {
        String(prefix(while: { $0 == " " || $0 == "\t" }))
    }
}
