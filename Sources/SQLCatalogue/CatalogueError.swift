/// The error thrown when the `sql/` tree is invalid; carries every diagnostic found.
public struct CatalogueError: Error, Sendable, CustomStringConvertible {
    /// The problems, in the order they were found.
    public var diagnostics: [Diagnostic]

    /// Creates an error from a list of diagnostics.
    public init(_ diagnostics: [Diagnostic]) {
        self.diagnostics = diagnostics
    }

    /// Creates an error with a single diagnostic.
    public init(path: String, line: Int, message: String) {
        self.diagnostics = [Diagnostic(path: path, line: line, message: message)]
    }

    /// One `path:line: message` per line.
    public var description: String {
        diagnostics.map(\.description).joined(separator: "\n")
    }
}
