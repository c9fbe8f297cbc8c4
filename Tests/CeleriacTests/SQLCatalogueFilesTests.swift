import Foundation
import SQLCatalogue
import Testing

@testable import Celeriac

/// The repository's sql/ tree: what the build embeds, and the rules a reader relies on.
@Suite struct SQLCatalogueFilesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appending(path: "sql")

    @Test func theCatalogueLoadsAndEveryDerivedBlockIsCurrent() throws {
        let catalogue = try Catalogue.load(root: Self.root)
        #expect(catalogue.statements.count == SQL.all.count)
        #expect(SQL.all.map(\.index) == Array(0..<SQL.all.count))
        let names = SQL.all.map(\.qualifiedName)
        #expect(Set(names).count == names.count)
        for name in ["tasks.claim", "tasks.complete", "tasks.insert_one_simple", "tasks.rescue", "results.status", "leaders.acquire"] {
            #expect(names.contains(name), "missing \(name)")
        }
    }

    @Test func everyTaskInsertIsDerivedFromTheOneDefinition() throws {
        var derived = 0
        var writtenOut: [String] = []
        for directory in ["queries", "repeatable"] {
            let folder = Self.root.appending(path: directory)
            for file in try FileManager.default.contentsOfDirectory(atPath: folder.path) where file.hasSuffix(".sql") {
                let text = try String(contentsOf: folder.appending(path: file), encoding: .utf8)
                let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
                var inDerived = false
                for line in lines {
                    let trimmed = line.trimmingCharacters(in: .whitespaces)
                    if trimmed.hasPrefix("-- derive: tasks.insert_row") {
                        inDerived = true
                        derived += 1
                    } else if trimmed.hasPrefix("-- end derive") {
                        inDerived = false
                    } else if !inDerived, trimmed.range(of: #"INSERT INTO (celeriac\.)?tasks\b"#, options: .regularExpression) != nil {
                        writtenOut.append("\(file): \(trimmed)")
                    }
                }
            }
        }
        // Only the template writes the statement out; every path derives it: single (3),
        // bulk (2), the chain step, the beat tick, enqueue(), retry() and a canvas step
        // (start_step: a group's members, a chord's body, callbacks).
        #expect(writtenOut.count == 1, "\(writtenOut)")
        #expect(derived == 10)
    }

    @Test func statementsNameTheSchemaOnlyThroughTheQualifier() {
        for query in SQL.all {
            // The setting `celeriac.sync` (a string literal) is not a schema-qualified name.
            let text = query.text(schema: "s_test").replacingOccurrences(of: "'celeriac.sync'", with: "")
            #expect(!text.contains("celeriac."), "\(query.qualifiedName) still names the default schema")
            #expect(query.text(schema: "celeriac") == query.parts.joined(separator: "celeriac."))
        }
        let claim = SQL.Tasks.Claim.query.text(schema: "jobs")
        #expect(claim.contains("FROM jobs.tasks"))
    }

    @Test func repeatableFilesAreEmbeddedWithTheirChecksums() throws {
        let folder = Self.root.appending(path: "repeatable")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".sql") }.sorted()
        let migrator = Migrator()
        #expect(migrator.repeatables.map(\.name) == files)
        for repeatable in migrator.repeatables {
            #expect(repeatable.checksum.count == 16)
            #expect(repeatable.checksum == Migrator.checksum(repeatable.sql))
        }
        #expect(Migrator.checksum("a") != Migrator.checksum("b"))
        #expect(Migrator.checksum("") == "cbf29ce484222325")
    }
}
