import Foundation
import SQLCatalogue
import Testing

@Suite struct SwiftOutputTests {
    private static let files = [
        "migrations/0002_beat.sql": "CREATE TABLE celeriac.beat ();\n",
        "migrations/0001_core.sql": "-- \"core\" \\ tab\there\nCREATE TABLE celeriac.tasks ();\n",
        "migrations/notes.txt": "ignored",
        "repeatable/views.sql": "CREATE VIEW v AS SELECT 1;",
        "queries/workers.sql": """
        -- name: heartbeat
        -- Record that a worker is alive.
        -- param worker_id: uuid
        -- param default: text?
        UPDATE celeriac.workers SET seen = now(), note = $2 WHERE id = $1

        -- name: list
        -- column id: uuid
        -- column in: text[]?
        -- column lease_seconds: float8
        SELECT id, queues AS "in", lease_seconds FROM celeriac.workers
        """,
        "queries/tasks.sql": insertRowTemplate + """


            -- name: claim
            -- param queues: text[]
            -- param limit: int
            -- param lease_seconds: float8
            -- param payload: array?
            -- column id: uuid
            -- column max_retries: int?
            SELECT id, max_retries FROM celeriac.tasks WHERE queue = ANY($1) AND 'a"b\\c' <> $4::text LIMIT $2 -- $3
            AND lease < $3 FOR UPDATE SKIP LOCKED
            """,
    ]

    private func generate() throws -> (Catalogue, String) {
        let fixture = try Fixture(Self.files)
        defer { fixture.remove() }
        let catalogue = try Catalogue.load(root: fixture.root)
        return (catalogue, catalogue.swiftSource())
    }

    @Test func ordersIndexesByFileThenEntry() throws {
        let (catalogue, source) = try generate()
        #expect(catalogue.migrations.map(\.name) == ["0001_core.sql", "0002_beat.sql"])
        #expect(
            catalogue.statements.map { "\($0.index):\($0.file.name).\($0.entry.name)" } == [
                "0:tasks.claim", "1:workers.heartbeat", "2:workers.list",
            ])
        #expect(source.contains("NamedQuery(index: 0, file: \"tasks\", name: \"claim\", parameters: ["))
        #expect(source.contains("NamedQuery(index: 2, file: \"workers\", name: \"list\""))
        #expect(source.contains("package static let all: [NamedQuery] = [\n        Tasks.Claim.query,\n        Workers.Heartbeat.query,\n"))
        #expect(!source.contains("InsertRow"))
    }

    @Test func emitsStructsPropertiesAndCodecs() throws {
        let (_, source) = try generate()
        let expected = [
            "// Generated from sql/ by the EmbedSQL plugin. Do not edit.",
            "import CeleriacPostgres",
            "enum EmbeddedMigrations {",
            #"        ("0001_core.sql", "-- \"core\" \\ tab\there\nCREATE TABLE celeriac.tasks ();\n"),"#,
            #"        ("views.sql", "CREATE VIEW v AS SELECT 1;"),"#,
            "package enum SQL {",
            "    /// sql/queries/tasks.sql",
            "    package enum Tasks {",
            "        package struct Claim: SQLStatement {",
            "            package var leaseSeconds: Double",
            "            package var payload: SQLArray?",
            "            package init(queues: [String], limit: Int, leaseSeconds: Double, payload: SQLArray?) {",
            "                self.leaseSeconds = leaseSeconds",
            "            package var parameters: [String?] { [SQLEncode.textArray(queues), SQLEncode.int(limit), "
                + "SQLEncode.float8(leaseSeconds), SQLEncode.array(payload)] }",
            "                package static let columns = [\"id\", \"max_retries\"]",
            "                package let maxRetries: Int?",
            "                    self.id = try SQLDecode.uuid(result, row, index[0], \"id\")",
            "                    self.maxRetries = SQLDecode.intOrNil(result, row, index[1])",
            "    package enum Workers {",
            "        /// Record that a worker is alive.\n        ///\n        /// `sql/queries/workers.sql`, `heartbeat`.",
            "            package var `default`: String?",
            "            package init(workerId: UUID, `default`: String?) {",
            "                self.`default` = `default`",
            "            package var parameters: [String?] { [SQLEncode.uuid(workerId), SQLEncode.text(`default`)] }",
            "            package typealias Row = NoRow",
            "                package let `in`: [String]?",
            "                    self.`in` = SQLDecode.textArrayOrNil(result, row, index[1])",
            "                    self.leaseSeconds = try SQLDecode.float8(result, row, index[2], \"lease_seconds\")",
            "parts: [\"UPDATE \", \"workers SET seen = now(), note = $2 WHERE id = $1\"])",
            #"parts: ["SELECT id, max_retries FROM ", "tasks WHERE queue = ANY($1) AND 'a\"b\\c' <> $4::text LIMIT $2 -- $3\nAND lease < $3 FOR UPDATE SKIP LOCKED"])"#,
        ]
        for line in expected {
            #expect(source.contains(line), "missing: \(line)")
        }
        #expect(!source.contains("notes.txt"))
    }

    @Test func emitsNoRowAndEmptyInit() throws {
        let fixture = try Fixture(["queries/misc.sql": "-- name: vacuum_all\nVACUUM"])
        defer { fixture.remove() }
        let source = try Catalogue.load(root: fixture.root).swiftSource()
        #expect(source.contains("        package struct VacuumAll: SQLStatement {"))
        #expect(source.contains("            package init() {}\n            package var parameters: [String?] { [] }"))
        #expect(source.contains("            package typealias Row = NoRow"))
        #expect(source.contains("    static let files: [(name: String, sql: String)] = []"))
    }

    @Test func literalsAreExact() {
        #expect(SwiftEmitter.literal("a\"b\\c\n\td\r\u{1}é") == #""a\"b\\c\n\td\r\u{1}é""#)
        #expect(SwiftEmitter.literal("\\(x) #\"") == #""\\(x) #\"""#)
    }

    @Test func generatedSourceParses() async throws {
        let (_, source) = try generate()
        let directory = FileManager.default.temporaryDirectory.appending(path: "sqlgen-parse-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appending(path: "EmbeddedSQL.swift")
        try source.write(to: file, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["swiftc", "-parse", file.path]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        // Waited for on a thread of its own: swiftc takes seconds, and a test blocking one of the
        // few cooperative threads would slow every other test running at the same time.
        let output = await withCheckedContinuation { continuation in
            Thread {
                let data = errors.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                continuation.resume(returning: String(decoding: data, as: UTF8.self))
            }.start()
        }
        #expect(process.terminationStatus == 0, "swiftc -parse failed: \(output)")
    }
}
