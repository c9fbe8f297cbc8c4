import ArgumentParser
import Celeriac
import Foundation

/// `celeriac sql list|show`: the statements Celeriac runs, by name, ready for psql.
struct SQLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sql",
        abstract: "List the named SQL statements Celeriac runs, or print one ready for psql.",
        subcommands: [List.self, Show.self]
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every statement: its name and what it does.")

        func run() {
            let width = SQL.all.map(\.qualifiedName.count).max() ?? 0
            for query in SQL.all {
                print(query.qualifiedName.padding(toLength: width + 2, withPad: " ", startingAt: 0) + Self.summary(query))
            }
        }

        /// The first sentence of the statement's comment.
        static func summary(_ query: NamedQuery) -> String {
            let text = query.documentation.split(separator: "\n").joined(separator: " ")
            guard let end = text.range(of: ". ") else { return text }
            return String(text[..<end.lowerBound]) + "."
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print one statement as a PREPARE for psql, with its parameters.",
            discussion: """
                Paste the output into psql, then EXPLAIN it with values for its parameters, e.g.
                  SET plan_cache_mode = force_generic_plan;   -- as workers do
                  EXPLAIN ANALYZE EXECUTE tasks_next_due('{celery}');
                """
        )

        @Argument(help: "The statement, e.g. tasks.claim (see `sql list`).")
        var name: String

        @Option(help: "The schema to name (default: CELERIAC_SCHEMA or celeriac).")
        var schema: String?

        func run() throws {
            guard let query = SQL.all.first(where: { $0.qualifiedName == name }) else {
                throw ValidationError("no statement named '\(name)': see `sql list`")
            }
            var conf = Configuration()
            try? conf.applyEnvironment()
            if let schema { conf.schema = schema }
            do { try conf.validate() } catch { throw ValidationError("\(error)") }
            for line in query.documentation.split(separator: "\n", omittingEmptySubsequences: false) {
                print(line.isEmpty ? "--" : "-- \(line)")
            }
            for (position, parameter) in query.parameters.enumerated() { print("--   $\(position + 1) \(parameter)") }
            let handle = "\(query.file)_\(query.name)"
            print("PREPARE \(handle) AS")
            print(query.text(schema: conf.schema) + ";")
            let placeholders = query.parameters.map { "<\($0.split(separator: " ").first ?? "")>" }
            print("-- EXPLAIN EXECUTE \(handle)\(placeholders.isEmpty ? "" : "(" + placeholders.joined(separator: ", ") + ")");")
        }
    }
}
