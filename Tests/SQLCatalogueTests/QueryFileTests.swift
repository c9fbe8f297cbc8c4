import SQLCatalogue
import Testing

@Suite struct QueryFileTests {
    private func errors(_ text: String, path: String = "sql/queries/tasks.sql") -> [String] {
        do {
            _ = try QueryFile.parse(path: path, text: text)
            return []
        } catch let error as CatalogueError {
            return error.diagnostics.map(\.description)
        } catch {
            return ["\(error)"]
        }
    }

    @Test func parsesHeaderAndBody() throws {
        let text = """
            -- Statements on tasks (file comment, ignored).

            -- name: claim
            -- Claim up to `limit` tasks.
            --
            -- param queues: text[]
            -- param limit: int
            -- param lease_seconds: float8?
            -- column id: uuid
            -- column max_retries: int?
            --   indented doc
            SELECT id, max_retries FROM celeriac.tasks
            WHERE queue = ANY($1) LIMIT $2 AND lease < $3;  \n

            -- name: ping
            SELECT 1
            """
        let file = try QueryFile.parse(path: "sql/queries/tasks.sql", text: text)
        #expect(file.name == "tasks")
        #expect(file.typeName == "Tasks")
        #expect(file.entries.map(\.name) == ["claim", "ping"])
        let claim = file.entries[0]
        #expect(claim.kind == .statement)
        #expect(claim.line == 3)
        #expect(claim.bodyLine == 12)
        #expect(claim.doc == ["Claim up to `limit` tasks.", "", "  indented doc"])
        #expect(claim.params.map(\.name) == ["queues", "limit", "lease_seconds"])
        #expect(claim.params.map(\.type.description) == ["text[]", "int", "float8?"])
        #expect(claim.params[2].type.nullable)
        #expect(claim.params[2].propertyName == "leaseSeconds")
        #expect(claim.columns.map(\.name) == ["id", "max_retries"])
        #expect(claim.columns[1].type == SQLType(base: .int, nullable: true))
        #expect(claim.body == "SELECT id, max_retries FROM celeriac.tasks\nWHERE queue = ANY($1) LIMIT $2 AND lease < $3")
        #expect(claim.parts == ["SELECT id, max_retries FROM ", "tasks\nWHERE queue = ANY($1) LIMIT $2 AND lease < $3"])
        #expect(file.entries[1].body == "SELECT 1")
        #expect(file.entries[1].params.isEmpty)
    }

    @Test func rejectsUnknownType() {
        let found = errors("-- name: a\n-- param x: integer\nSELECT $1")
        #expect(found.count == 1)
        #expect(found.first?.hasPrefix("sql/queries/tasks.sql:2: unknown type 'integer' for 'x'") == true)
    }

    @Test func reportsMissingPlaceholder() {
        let found = errors("-- name: a\n-- param x: int\n-- param y: text\n-- param z: int\nSELECT $1, $3")
        #expect(found == ["sql/queries/tasks.sql:3: statement 'a' never uses $2 ('y')"])
    }

    @Test func reportsExtraPlaceholder() {
        let found = errors("-- name: a\n-- param x: int\n-- param y: text\nSELECT $1,\n  $2,\n  $3, '$4' -- $5")
        #expect(found == ["sql/queries/tasks.sql:6: statement 'a' uses $3 but declares 2 parameter(s)"])
    }

    @Test func reportsNamingAndStructureErrors() {
        #expect(
            errors("-- name: a\nSELECT 1\n-- name: a\nSELECT 2") == [
                "sql/queries/tasks.sql:3: duplicate name 'a' (first defined at line 1)"
            ])
        #expect(errors("-- name: Bad\nSELECT 1") == ["sql/queries/tasks.sql:1: entry name 'Bad' must match [a-z][a-z0-9_]*"])
        #expect(errors("-- name: a\nSELECT 1", path: "sql/queries/Tasks.sql").first?.contains("query file name 'Tasks'") == true)
        #expect(errors("-- name: a\n-- column c: array\nSELECT 1").first?.contains("type 'array' can only be used for parameters") == true)
        #expect(errors("-- name: a\n-- kind: template\n-- param x: int\nSELECT $1").contains { $0.contains("cannot declare parameters") })
        #expect(errors("-- name: a\n-- kind: view\nSELECT 1").first?.contains("unknown kind 'view'") == true)
        #expect(errors("-- name: a\n") == ["sql/queries/tasks.sql:1: statement 'a' has no SQL"])
        #expect(errors("-- name: a\n-- param query: int\nSELECT $1").first?.contains("reserved") == true)
    }

    @Test func parsesTemplateEntries() throws {
        let file = try QueryFile.parse(path: "sql/queries/tasks.sql", text: insertRowTemplate + "\n\n-- name: ping\nSELECT 1\n")
        #expect(file.entries.map(\.kind) == [.template, .statement])
        #expect(file.statements.map(\.name) == ["ping"])
        #expect(file.templates.map(\.reference) == ["tasks.insert_row"])
    }
}
