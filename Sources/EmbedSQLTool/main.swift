import Foundation
import SQLCatalogue

/// `EmbedSQLTool <output.swift> <sqlroot>`: validate sql/ and write the generated Swift file.
/// `EmbedSQLTool --rewrite <sqlroot>`: regenerate every derived block in place.
func run(_ arguments: [String]) -> Int32 {
    func fail(_ message: String) -> Int32 {
        FileHandle.standardError.write(Data((message.hasSuffix("\n") ? message : message + "\n").utf8))
        return 1
    }
    let usage = "usage: EmbedSQLTool <output.swift> <sqlroot> | EmbedSQLTool --rewrite <sqlroot>"
    guard arguments.count == 2 else { return fail("error: \(usage)") }
    do {
        if arguments[0] == "--rewrite" {
            let changed = try Catalogue.rewriteDerivedBlocks(root: URL(fileURLWithPath: arguments[1]))
            print(changed.isEmpty ? "derived blocks are up to date" : changed.map { "rewrote \($0)" }.joined(separator: "\n"))
            return 0
        }
        let catalogue = try Catalogue.load(root: URL(fileURLWithPath: arguments[1]))
        let source = catalogue.swiftSource()
        let output = arguments[0]
        if (try? String(contentsOfFile: output, encoding: .utf8)) != source {
            try source.write(toFile: output, atomically: true, encoding: .utf8)
        }
        return 0
    } catch let error as CatalogueError {
        return fail(error.diagnostics.map { "error: \($0)" }.joined(separator: "\n"))
    } catch {
        return fail("error: \(error)")
    }
}

exit(run(Array(CommandLine.arguments.dropFirst())))
