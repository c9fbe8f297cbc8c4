import Celeriac
import CeleriacPostgres
import Foundation
import Testing

/// Every statement of sql/queries against a real, migrated schema.
@Suite struct CatalogueTests {
    @Test func everyNamedStatementPreparesWithItsDeclaredParameters() async throws {
        try await TestEnvironment.with { env in
            let schema = env.schema
            let failures = try await env.app.pool.run { connection -> [String] in
                var failures: [String] = []
                for query in SQL.all {
                    let name = "check_\(query.index)"
                    let text = query.text(schema: schema)
                    do {
                        // DDL and VACUUM cannot be PREPAREd in SQL (the protocol prepares them);
                        // the ones there are are idempotent: run them.
                        if text.hasPrefix("CREATE ") || text.hasPrefix("VACUUM ") {
                            try connection.execute(text)
                            continue
                        }
                        try connection.execute("PREPARE \(name) AS \(text)")
                        // The server agrees on the number of parameters the file declares.
                        let declared = try connection.execute(
                            "SELECT cardinality(parameter_types) FROM pg_prepared_statements WHERE name = $1", [name])
                        if declared.int(0, 0) != Self.placeholders(in: text) {
                            failures.append("\(query.qualifiedName): \(declared.int(0, 0) ?? -1) parameters")
                        }
                        try connection.execute("DEALLOCATE \(name)")
                    } catch {
                        failures.append("\(query.qualifiedName): \(error)")
                    }
                }
                return failures
            }
            #expect(failures.isEmpty, "\(failures)")
        }
    }

    /// The highest `$n` in a statement.
    static func placeholders(in text: String) -> Int {
        var highest = 0
        var digits = ""
        var inPlaceholder = false
        for character in text + " " {
            if inPlaceholder, character.isNumber {
                digits.append(character)
                continue
            }
            if inPlaceholder { highest = max(highest, Int(digits) ?? 0) }
            inPlaceholder = character == "$"
            digits = ""
        }
        return highest
    }
}
