import Foundation
import SQLCatalogue
import Testing

@Suite struct DerivedBlockTests {
    private func templates() throws -> [String: Template] {
        let file = try QueryFile.parse(path: "sql/queries/tasks.sql", text: insertRowTemplate)
        return Dictionary(uniqueKeysWithValues: file.templates.map { ($0.reference, $0) })
    }

    private let stale = """
        -- name: insert_one
        -- param id: uuid
        -- param name: text
        -- param queue: text
        -- param priority: int
        WITH task_input (id, name,
                         queue, priority) AS (VALUES ($1, $2, $3, $4))
          -- derive: tasks.insert_row
          INSERT INTO celeriac.tasks (id, name)
          -- end derive
        """

    private let fresh = """
        -- name: insert_one
        -- param id: uuid
        -- param name: text
        -- param queue: text
        -- param priority: int
        WITH task_input (id, name,
                         queue, priority) AS (VALUES ($1, $2, $3, $4))
          -- derive: tasks.insert_row
          INSERT INTO celeriac.tasks (id, name, queue, priority)
          SELECT i.id, i.name, i.queue, i.priority
          FROM task_input AS i
          -- end derive
        """

    @Test func checkDetectsStaleBlock() throws {
        let found = DerivedBlocks.check(fileText: stale, path: "q.sql", templates: try templates(), qualified: true)
        #expect(found.map(\.description) == ["q.sql:8: the block derived from tasks.insert_row is out of date; run 'make sql'"])
        #expect(DerivedBlocks.check(fileText: fresh, path: "q.sql", templates: try templates(), qualified: true).isEmpty)
    }

    @Test func rewriteFixesAndIsIdempotent() throws {
        let once = try DerivedBlocks.rewrite(fileText: stale, path: "q.sql", templates: try templates(), qualified: true)
        #expect(once == fresh)
        let twice = try DerivedBlocks.rewrite(fileText: once, path: "q.sql", templates: try templates(), qualified: true)
        #expect(twice == once)
    }

    @Test func reportsBlockErrors() throws {
        let unknown = "WITH task_input (id) AS (SELECT 1)\n-- derive: tasks.nope\n-- end derive"
        #expect(
            DerivedBlocks.check(fileText: unknown, path: "q.sql", templates: try templates(), qualified: true).first?.description
                .hasPrefix("q.sql:2: unknown template 'tasks.nope'") == true)
        let unterminated = "WITH task_input (id) AS (SELECT 1)\n-- derive: tasks.insert_row\nSELECT 1"
        #expect(
            DerivedBlocks.check(fileText: unterminated, path: "q.sql", templates: try templates(), qualified: true).map(\.description)
                == ["q.sql:2: '-- derive: tasks.insert_row' has no matching '-- end derive'"])
        let noRelation = "SELECT 1\n-- derive: tasks.insert_row\n-- end derive\nWITH task_input (id) AS (SELECT 1)"
        #expect(
            DerivedBlocks.check(fileText: noRelation, path: "q.sql", templates: try templates(), qualified: true).map(\.description)
                == ["q.sql:2: no 'task_input (<fields>) AS' found before '-- derive: tasks.insert_row'"])
        #expect(throws: CatalogueError.self) {
            try DerivedBlocks.rewrite(fileText: noRelation, path: "q.sql", templates: try templates(), qualified: true)
        }
    }

    @Test func usesTheNearestFieldListBeforeTheMarker() throws {
        let text = """
            WITH task_input (id, name, queue, priority) AS (SELECT 1)
            SELECT 1;
            with TASK_INPUT (id) as (SELECT 1)
            -- derive: tasks.insert_row
            -- end derive
            """
        let rewritten = try DerivedBlocks.rewrite(fileText: text, path: "q.sql", templates: try templates(), qualified: true)
        #expect(rewritten.contains("INSERT INTO celeriac.tasks (id)\nSELECT i.id\nFROM task_input AS i\n-- end derive"))
    }

    @Test func rewritesTheTreeAndLoadChecksIt() throws {
        let function = """
            CREATE FUNCTION celeriac.f() RETURNS void AS $$
                WITH task_input (id, name) AS (SELECT 1, 'x')
                -- derive: tasks.insert_row
                -- end derive
            $$ LANGUAGE sql;
            """
        let fixture = try Fixture(["queries/tasks.sql": insertRowTemplate + "\n\n" + stale + "\n", "repeatable/f.sql": function])
        defer { fixture.remove() }
        #expect {
            try Catalogue.load(root: fixture.root)
        } throws: { error in
            "\(error)".contains("tasks.sql:18: the block derived from tasks.insert_row is out of date")
                && "\(error)".contains("f.sql:3: the block derived from tasks.insert_row is out of date")
        }
        let changed = try Catalogue.rewriteDerivedBlocks(root: fixture.root)
        #expect(changed.count == 2)
        #expect(try Catalogue.rewriteDerivedBlocks(root: fixture.root).isEmpty)
        #expect(try fixture.read("repeatable/f.sql").contains("    INSERT INTO tasks (id, name)\n    SELECT i.id, i.name\n"))
        #expect(try fixture.read("queries/tasks.sql").hasSuffix(fresh + "\n"))
        _ = try Catalogue.load(root: fixture.root)
    }
}
