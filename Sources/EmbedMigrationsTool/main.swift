// Writes a Swift file holding each SQL migration as a raw string literal.
// Usage: EmbedMigrationsTool OUTPUT.swift FILE.sql...
import Foundation

let arguments = CommandLine.arguments.dropFirst()
guard let outputPath = arguments.first else {
    FileHandle.standardError.write(Data("usage: EmbedMigrationsTool OUTPUT FILE...\n".utf8))
    exit(64)
}

/// A raw string literal whose delimiter cannot occur inside `text`.
func literal(_ text: String) -> String {
    var hashes = "#"
    while text.contains("\"" + hashes) { hashes += "#" }
    return hashes + "\"\"\"\n" + text + "\n\"\"\"" + hashes
}

var source = "// Generated from sql/migrations by the EmbedMigrations plugin. Do not edit.\n\n"
source += "enum EmbeddedMigrations {\n    static let files: [(name: String, sql: String)] = [\n"
for path in arguments.dropFirst() {
    let url = URL(fileURLWithPath: path)
    guard url.pathExtension == "sql" else { continue }
    let text = try String(contentsOf: url, encoding: .utf8)
    source += "        (\"\(url.lastPathComponent)\", \(literal(text))),\n"
}
source += "    ]\n}\n"
try source.write(toFile: outputPath, atomically: true, encoding: .utf8)
