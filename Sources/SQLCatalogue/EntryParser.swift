/// Parses and validates one entry (`lines[start..<end]`) of a named-query file.
struct EntryParser {
    let path: String
    let file: String
    let lines: [String]
    let start: Int
    let end: Int

    private struct Header {
        var name = ""
        var kind = QueryEntry.Kind.statement
        var params: [QueryEntry.Field] = []
        var columns: [QueryEntry.Field] = []
        var doc: [String] = []
    }

    /// The entry and every problem found in it.
    func parse() -> (QueryEntry, [Diagnostic]) {
        var diagnostics: [Diagnostic] = []
        var header = Header()
        var bodyStart = start
        while bodyStart < end, lines[bodyStart].hasPrefix("--"), bodyStart == start || !isDeriveMarker(lines[bodyStart]) {
            parseHeaderLine(lines[bodyStart], line: bodyStart + 1, into: &header, diagnostics: &diagnostics)
            bodyStart += 1
        }
        while bodyStart < end, lines[bodyStart].trimmingWhitespace().isEmpty {
            bodyStart += 1
        }
        var body = lines[bodyStart..<end].joined(separator: "\n").trimmingTrailingWhitespace()
        if body.hasSuffix(";") {
            body.removeLast()
            body = body.trimmingTrailingWhitespace()
        }
        let entry = QueryEntry(
            name: header.name, kind: header.kind, params: header.params, columns: header.columns, doc: header.doc, body: body,
            line: start + 1, bodyLine: bodyStart + 1)
        if diagnostics.isEmpty {
            diagnostics += validate(entry)
        }
        return (entry, diagnostics)
    }

    private func isDeriveMarker(_ line: String) -> Bool {
        line.dropFirst(2).trimmingWhitespace().hasPrefix("derive:")
    }

    private func parseHeaderLine(_ text: String, line: Int, into header: inout Header, diagnostics: inout [Diagnostic]) {
        let content = text.dropFirst(2).trimmingWhitespace()
        func fail(_ message: String) {
            diagnostics.append(Diagnostic(path: path, line: line, message: message))
        }
        if line == start + 1 {
            header.name = content.dropFirst("name:".count).trimmingWhitespace()
            if !SwiftName.isSnakeName(header.name) {
                fail("entry name '\(header.name)' must match [a-z][a-z0-9_]*")
            }
        } else if content.hasPrefix("kind:") {
            let kind = content.dropFirst("kind:".count).trimmingWhitespace()
            if kind == "template" {
                header.kind = .template
            } else {
                fail("unknown kind '\(kind)' (only 'template' is supported)")
            }
        } else if content.hasPrefix("param ") || content.hasPrefix("column ") {
            let isParam = content.hasPrefix("param ")
            let declaration = content.drop(while: { $0 != " " }).trimmingWhitespace()
            guard let colon = declaration.firstIndex(of: ":") else {
                fail("expected '-- \(isParam ? "param" : "column") <name>: <type>'")
                return
            }
            let name = declaration[..<colon].trimmingWhitespace()
            let typeText = declaration[declaration.index(after: colon)...].trimmingWhitespace()
            guard SwiftName.isSnakeName(name) else {
                fail("\(isParam ? "parameter" : "column") name '\(name)' must match [a-z][a-z0-9_]*")
                return
            }
            guard let type = SQLType(parsing: typeText) else {
                let known = SQLType.Base.allCases.map(\.rawValue).joined(separator: ", ")
                fail("unknown type '\(typeText)' for '\(name)' (known: \(known), each optionally followed by '?')")
                return
            }
            let field = QueryEntry.Field(name: name, type: type, line: line)
            if isParam { header.params.append(field) } else { header.columns.append(field) }
        } else {
            var doc = String(text.dropFirst(2))
            if doc.hasPrefix(" ") { doc.removeFirst() }
            header.doc.append(doc.trimmingTrailingWhitespace())
        }
    }

    private func validate(_ entry: QueryEntry) -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        func fail(_ line: Int, _ message: String) {
            diagnostics.append(Diagnostic(path: path, line: line, message: message))
        }
        if entry.kind == .template {
            if let field = (entry.params + entry.columns).first {
                fail(field.line, "template '\(entry.name)' cannot declare parameters or columns")
            }
            return diagnostics
        }
        if entry.body.isEmpty {
            fail(entry.line, "statement '\(entry.name)' has no SQL")
        }
        checkNames(entry.params, what: "parameter", reserved: ["query", "parameters"], fail: fail)
        checkNames(entry.columns, what: "column", reserved: ["columns"], fail: fail)
        for column in entry.columns where column.type.base == .array {
            fail(column.line, "column '\(column.name)': type 'array' can only be used for parameters")
        }
        let placeholders = SQLLexer.placeholders(in: entry.body)
        let used = Set(placeholders.map(\.number))
        let declared = entry.params.count
        for number in 1...max(declared, 1) where declared > 0 && !used.contains(number) {
            fail(entry.params[number - 1].line, "statement '\(entry.name)' never uses $\(number) ('\(entry.params[number - 1].name)')")
        }
        var reported: Set<Int> = []
        for placeholder in placeholders where (placeholder.number < 1 || placeholder.number > declared) {
            guard reported.insert(placeholder.number).inserted else { continue }
            let line = entry.bodyLine + newlines(in: entry.body, before: placeholder.offset)
            fail(line, "statement '\(entry.name)' uses $\(placeholder.number) but declares \(declared) parameter(s)")
        }
        return diagnostics
    }

    private func checkNames(
        _ fields: [QueryEntry.Field], what: String, reserved: Set<String>, fail: (Int, String) -> Void
    ) {
        var seen: [String: String] = [:]
        for field in fields {
            let swiftName = SwiftName.lowerCamel(field.name)
            if let other = seen[swiftName] {
                fail(field.line, "\(what) '\(field.name)' clashes with '\(other)'")
            }
            seen[swiftName] = field.name
            if reserved.contains(swiftName) {
                fail(field.line, "\(what) name '\(field.name)' is reserved in generated code")
            }
        }
    }

    private func newlines(in text: String, before offset: Int) -> Int {
        text.utf8.prefix(offset).reduce(0) { $0 + ($1 == Byte.newline ? 1 : 0) }
    }
}
