import SQLCatalogue
import Testing

@Suite struct TemplateTests {
    private func template(_ text: String = insertRowTemplate) throws -> Template {
        let file = try QueryFile.parse(path: "sql/queries/tasks.sql", text: text)
        return try #require(file.templates.first)
    }

    @Test func parsesTheTaskRowTemplate() throws {
        let template = try template()
        #expect(template.table == "celeriac.tasks")
        #expect(template.columns.count == 13)
        #expect(template.expressions.count == 13)
        #expect(template.columns[8] == "run_at")
        #expect(template.expressions[8] == "coalesce(i.eta, now()) + coalesce(i.countdown, interval '0')")
        #expect(template.fields[8] == ["eta", "countdown"])
        #expect(template.fields[0] == ["id"])
        #expect(template.relation == "task_input")
        #expect(template.alias == "i")
    }

    @Test func derivesTheSuppliedSubset() throws {
        let lines = try template().derive(fields: ["id", "name", "queue", "priority"], qualified: true)
        #expect(
            lines == [
                "INSERT INTO celeriac.tasks (id, name, queue, priority)",
                "SELECT i.id, i.name, i.queue, i.priority",
                "FROM task_input AS i",
            ])
        let withRunAt = try template().derive(fields: ["ID", "eta", "countdown"], qualified: true, indent: "  ")
        #expect(withRunAt[0] == "  INSERT INTO celeriac.tasks (id, run_at)")
        #expect(withRunAt[1] == "  SELECT i.id, coalesce(i.eta, now()) + coalesce(i.countdown, interval '0')")
    }

    @Test func rejectsPartlySuppliedColumns() throws {
        #expect {
            try template().derive(fields: ["id", "eta"], qualified: true)
        } throws: { error in
            let text = "\(error)"
            return text.contains("'run_at'") && text.contains("missing countdown")
        }
    }

    @Test func keepsConstantColumnsAndUnqualifiesForRepeatables() throws {
        let text = """
            -- name: t
            -- kind: template
            INSERT INTO celeriac.results (id, finished_at, state)
            SELECT r.id, now(), celeriac.state_of(r.code, 'celeriac.x')
            FROM done AS r
            """
        let lines = try template(text).derive(fields: ["id"], qualified: false)
        #expect(lines == ["INSERT INTO results (id, finished_at)", "SELECT r.id, now()", "FROM done AS r"])
        let all = try template(text).derive(fields: ["id", "code"], qualified: false)
        #expect(all[1] == "SELECT r.id, now(), state_of(r.code, 'celeriac.x')")
    }

    @Test func wrapsLongLines() throws {
        let fields =
            ["id", "name", "queue", "priority", "args", "kwargs", "options", "chain", "eta", "countdown"]
            + ["expires_at", "max_retries", "parent_id", "root_id"]
        let lines = try template().derive(fields: fields, qualified: false, indent: "    ")
        #expect(
            lines == [
                "    INSERT INTO tasks (id, name, queue, priority, args, kwargs, options, chain, run_at, expires_at, max_retries,",
                "                       parent_id, root_id)",
                "    SELECT i.id, i.name, i.queue, i.priority, i.args, i.kwargs, i.options, i.chain,",
                "           coalesce(i.eta, now()) + coalesce(i.countdown, interval '0'), i.expires_at, i.max_retries, i.parent_id,",
                "           i.root_id",
                "    FROM task_input AS i",
            ])
        #expect(lines.allSatisfy { $0.count <= 120 })
    }

    @Test func rejectsMalformedTemplates() {
        #expect(throws: CatalogueError.self) {
            try QueryFile.parse(path: "q/t.sql", text: "-- name: t\n-- kind: template\nINSERT INTO x (a, b) SELECT i.a FROM y AS i")
        }
        #expect(throws: CatalogueError.self) {
            try QueryFile.parse(path: "q/t.sql", text: "-- name: t\n-- kind: template\nUPDATE x SET a = 1")
        }
        #expect(throws: CatalogueError.self) {
            try QueryFile.parse(path: "q/t.sql", text: "-- name: t\n-- kind: template\nINSERT INTO x (a) SELECT i.a FROM y AS i WHERE true")
        }
    }
}
