/// One problem found in the `sql/` tree, located as `path:line`.
public struct Diagnostic: Sendable, Equatable, CustomStringConvertible {
    /// The file the problem is in.
    public var path: String
    /// The 1-based line number (0 when unknown).
    public var line: Int
    /// What is wrong.
    public var message: String

    /// Creates a diagnostic.
    public init(path: String, line: Int, message: String) {
        self.path = path
        self.line = line
        self.message = message
    }

    /// `path:line: message`, the format compilers use.
    public var description: String {
        "\(path):\(line): \(message)"
    }
}
