/// A parsed `sql/queries/<file>.sql` named-query file.
public struct QueryFile: Sendable {
    /// The file name without `.sql` (`tasks`).
    public var name: String
    /// The path the file was read from (used in diagnostics).
    public var path: String
    /// The file's full text.
    public var text: String
    /// The entries, in file order.
    public var entries: [QueryEntry]
    /// The parsed templates (`-- kind: template` entries), in file order.
    public var templates: [Template]

    /// The Swift enum name (UpperCamelCase).
    public var typeName: String {
        SwiftName.upperCamel(name)
    }

    /// The runtime statements (entries that are not templates), in file order.
    public var statements: [QueryEntry] {
        entries.filter { $0.kind == .statement }
    }

    /// Parses and validates a named-query file; throws a `CatalogueError` listing every problem.
    public static func parse(path: String, text: String) throws -> QueryFile {
        var diagnostics: [Diagnostic] = []
        let fileName = path.split(separator: "/").last.map(String.init) ?? path
        let name = fileName.hasSuffix(".sql") ? String(fileName.dropLast(4)) : fileName
        if !SwiftName.isSnakeName(name) {
            diagnostics.append(Diagnostic(path: path, line: 1, message: "query file name '\(name)' must match [a-z][a-z0-9_]*"))
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let starts = lines.indices.filter { isNameLine(lines[$0]) }
        var entries: [QueryEntry] = []
        var templates: [Template] = []
        var seen: [String: Int] = [:]
        for (position, start) in starts.enumerated() {
            let end = position + 1 < starts.count ? starts[position + 1] : lines.count
            let parser = EntryParser(path: path, file: name, lines: lines, start: start, end: end)
            let (entry, problems) = parser.parse()
            diagnostics += problems
            if let previous = seen[entry.name] {
                diagnostics.append(
                    Diagnostic(path: path, line: entry.line, message: "duplicate name '\(entry.name)' (first defined at line \(previous))"))
            } else {
                seen[entry.name] = entry.line
            }
            if entry.kind == .template {
                do {
                    templates.append(try Template.parse(file: name, entry: entry, path: path))
                } catch let error as CatalogueError {
                    diagnostics += error.diagnostics
                }
            }
            entries.append(entry)
        }
        if !diagnostics.isEmpty { throw CatalogueError(diagnostics) }
        return QueryFile(name: name, path: path, text: text, entries: entries, templates: templates)
    }

    /// Whether `line` starts an entry (`-- name: …`).
    static func isNameLine(_ line: String) -> Bool {
        guard line.hasPrefix("--") else { return false }
        return line.dropFirst(2).trimmingWhitespace().hasPrefix("name:")
    }
}
