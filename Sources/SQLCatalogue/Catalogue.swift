import Foundation

/// Everything in an `sql/` tree: migrations, repeatables and named queries, validated.
public struct Catalogue: Sendable {
    /// A file embedded verbatim.
    public struct SQLFile: Sendable, Equatable {
        /// The file name (`0001_core.sql`).
        public var name: String
        /// The file's full text.
        public var text: String

        /// Creates a file.
        public init(name: String, text: String) {
            self.name = name
            self.text = text
        }
    }

    /// `sql/migrations/*.sql`, sorted by name.
    public var migrations: [SQLFile]
    /// `sql/repeatable/*.sql`, sorted by name.
    public var repeatables: [SQLFile]
    /// `sql/queries/*.sql`, sorted by name.
    public var queryFiles: [QueryFile]

    /// Creates a catalogue from already-parsed parts.
    public init(migrations: [SQLFile], repeatables: [SQLFile], queryFiles: [QueryFile]) {
        self.migrations = migrations
        self.repeatables = repeatables
        self.queryFiles = queryFiles
    }

    /// Every template, keyed by `file.name`.
    public var templates: [String: Template] {
        var result: [String: Template] = [:]
        for file in queryFiles {
            for template in file.templates { result[template.reference] = template }
        }
        return result
    }

    /// Every runtime statement with its index: file-name order, then entry order.
    public var statements: [(index: Int, file: QueryFile, entry: QueryEntry)] {
        var result: [(index: Int, file: QueryFile, entry: QueryEntry)] = []
        for file in queryFiles {
            for entry in file.statements { result.append((result.count, file, entry)) }
        }
        return result
    }

    /// Reads and validates `<root>/migrations`, `<root>/repeatable` and `<root>/queries` (missing
    /// directories are empty). With `checkDerivedBlocks`, stale derived blocks are errors.
    /// Throws a `CatalogueError` listing every problem.
    public static func load(root: URL, checkDerivedBlocks: Bool = true) throws -> Catalogue {
        var diagnostics: [Diagnostic] = []
        let migrations = try sqlFiles(in: root.appending(path: "migrations"))
        let repeatables = try sqlFiles(in: root.appending(path: "repeatable"))
        let queryDirectory = root.appending(path: "queries")
        var queryFiles: [QueryFile] = []
        for file in try sqlFiles(in: queryDirectory) {
            do {
                queryFiles.append(try QueryFile.parse(path: queryDirectory.appending(path: file.name).path, text: file.text))
            } catch let error as CatalogueError {
                diagnostics += error.diagnostics
            }
        }
        let catalogue = Catalogue(migrations: migrations, repeatables: repeatables, queryFiles: queryFiles)
        if checkDerivedBlocks {
            for (path, text, qualified) in catalogue.derivableFiles(root: root) {
                diagnostics += DerivedBlocks.check(fileText: text, path: path, templates: catalogue.templates, qualified: qualified)
            }
        }
        if !diagnostics.isEmpty { throw CatalogueError(diagnostics) }
        return catalogue
    }

    /// Rewrites every derived block under `root` (sql/queries and sql/repeatable); returns the
    /// paths of the files that changed.
    public static func rewriteDerivedBlocks(root: URL) throws -> [String] {
        let catalogue = try load(root: root, checkDerivedBlocks: false)
        var diagnostics: [Diagnostic] = []
        var rewritten: [(path: String, text: String)] = []
        for (path, text, qualified) in catalogue.derivableFiles(root: root) {
            do {
                let updated = try DerivedBlocks.rewrite(fileText: text, path: path, templates: catalogue.templates, qualified: qualified)
                if updated != text { rewritten.append((path, updated)) }
            } catch let error as CatalogueError {
                diagnostics += error.diagnostics
            }
        }
        if !diagnostics.isEmpty { throw CatalogueError(diagnostics) }
        for file in rewritten {
            try file.text.write(toFile: file.path, atomically: true, encoding: .utf8)
        }
        return rewritten.map(\.path)
    }

    /// The files that may hold derived blocks: (path, text, qualified).
    private func derivableFiles(root: URL) -> [(String, String, Bool)] {
        let queries = queryFiles.map { file in
            (file.path, file.text, true)
        }
        let repeatable = repeatables.map { file in
            (root.appending(path: "repeatable").appending(path: file.name).path, file.text, false)
        }
        return queries + repeatable
    }

    /// The `.sql` files directly in `directory`, sorted by name; empty when it does not exist.
    static func sqlFiles(in directory: URL) throws -> [SQLFile] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            return []
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".sql") }.sorted()
        return try names.map { name in
            SQLFile(name: name, text: try String(contentsOf: directory.appending(path: name), encoding: .utf8))
        }
    }
}
