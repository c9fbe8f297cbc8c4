/// Writes the Swift source embedding a `Catalogue`.
public enum SwiftEmitter {
    /// The first line of every generated file.
    public static let header = "// Generated from sql/ by the EmbedSQL plugin. Do not edit."

    /// The complete generated Swift file.
    public static func source(for catalogue: Catalogue) -> String {
        var out: [String] = [header, "", "import CeleriacPostgres", "import Foundation", ""]
        out += embeddedFiles("EmbeddedMigrations", catalogue.migrations)
        out += embeddedFiles("EmbeddedRepeatables", catalogue.repeatables)
        let statements = catalogue.statements
        out.append("/// Every named statement in sql/queries, by file.")
        out.append("package enum SQL {")
        for (position, file) in catalogue.queryFiles.enumerated() {
            if position > 0 { out.append("") }
            out.append("    /// sql/queries/\(file.name).sql")
            out.append("    package enum \(file.typeName) {")
            let entries = statements.filter { $0.file.name == file.name }
            for (entryPosition, item) in entries.enumerated() {
                if entryPosition > 0 { out.append("") }
                out += statement(item.entry, file: file.name, index: item.index).map { "        " + $0 }
            }
            out.append("    }")
        }
        if !catalogue.queryFiles.isEmpty { out.append("") }
        let all = statements.map { "\($0.file.typeName).\($0.entry.typeName).query" }
        out.append("    /// Every statement, ordered by index.")
        if all.isEmpty {
            out.append("    package static let all: [NamedQuery] = []")
        } else {
            out.append("    package static let all: [NamedQuery] = [")
            out += all.map { "        \($0)," }
            out.append("    ]")
        }
        out.append("}")
        return out.joined(separator: "\n") + "\n"
    }

    /// The struct for one statement, unindented.
    public static func statement(_ entry: QueryEntry, file: String, index: Int) -> [String] {
        var out = entry.doc.map { $0.isEmpty ? "///" : "/// \($0)" }
        if !entry.doc.isEmpty { out.append("///") }
        out.append("/// `sql/queries/\(file).sql`, `\(entry.name)`.")
        out.append("package struct \(entry.typeName): SQLStatement {")
        let parts = entry.parts.map(literal).joined(separator: ", ")
        let parameters = entry.params.map { literal("\($0.name) \($0.type.base.rawValue)\($0.type.nullable ? "?" : "")") }
        let documentation = literal(entry.doc.joined(separator: "\n"))
        out.append(
            "    package static let query = NamedQuery(index: \(index), file: \(literal(file)), name: \(literal(entry.name)), "
                + "parameters: [\(parameters.joined(separator: ", "))], documentation: \(documentation), parts: [\(parts)])")
        for param in entry.params {
            out.append("    package var \(param.propertyName): \(param.type.swiftType)")
        }
        if entry.params.isEmpty {
            out.append("    package init() {}")
            out.append("    package var parameters: [String?] { [] }")
        } else {
            let arguments = entry.params.map { "\($0.propertyName): \($0.type.swiftType)" }.joined(separator: ", ")
            out.append("    package init(\(arguments)) {")
            out += entry.params.map { "        self.\($0.propertyName) = \($0.propertyName)" }
            out.append("    }")
            let encoded = entry.params.map { "\($0.type.encoder)(\($0.propertyName))" }.joined(separator: ", ")
            out.append("    package var parameters: [String?] { [\(encoded)] }")
        }
        if entry.columns.isEmpty {
            out.append("    package typealias Row = NoRow")
        } else {
            out += row(entry.columns).map { "    " + $0 }
        }
        out.append("}")
        return out
    }

    private static func row(_ columns: [QueryEntry.Field]) -> [String] {
        var out = ["package struct Row: SQLRow {"]
        out.append("    package static let columns = [\(columns.map { literal($0.name) }.joined(separator: ", "))]")
        out += columns.map { "    package let \($0.propertyName): \($0.type.swiftType)" }
        out.append("    package init(_ result: QueryResult, row: Int, at index: [Int]) throws {")
        for (position, column) in columns.enumerated() {
            if column.type.nullable {
                out.append("        self.\(column.propertyName) = \(column.type.decoder)(result, row, index[\(position)])")
            } else {
                out.append(
                    "        self.\(column.propertyName) = try \(column.type.decoder)(result, row, index[\(position)], \(literal(column.name)))"
                )
            }
        }
        out.append("    }")
        out.append("}")
        return out
    }

    private static func embeddedFiles(_ name: String, _ files: [Catalogue.SQLFile]) -> [String] {
        var out = ["enum \(name) {"]
        if files.isEmpty {
            out.append("    static let files: [(name: String, sql: String)] = []")
        } else {
            out.append("    static let files: [(name: String, sql: String)] = [")
            out += files.map { "        (\(literal($0.name)), \(literal($0.text)))," }
            out.append("    ]")
        }
        out.append("}")
        out.append("")
        return out
    }

    /// A single-line Swift string literal whose value is exactly `text`.
    public static func literal(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case "\0": out += "\\0"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F || scalar.properties.generalCategory == .lineSeparator
                    || scalar.properties.generalCategory == .paragraphSeparator
                {
                    out += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

extension Catalogue {
    /// The generated Swift file (see `SwiftEmitter`).
    public func swiftSource() -> String {
        SwiftEmitter.source(for: self)
    }
}
