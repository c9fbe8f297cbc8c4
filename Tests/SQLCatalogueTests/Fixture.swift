import Foundation

/// A temporary `sql/` tree for a test; removed by `remove()`.
struct Fixture {
    let root: URL

    init(_ files: [String: String]) throws {
        root = FileManager.default.temporaryDirectory.appending(path: "sqlgen-\(UUID().uuidString)").appending(path: "sql")
        for (path, text) in files {
            let url = root.appending(path: path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
    }

    func path(_ relative: String) -> String {
        root.appending(path: relative).path
    }

    func read(_ relative: String) throws -> String {
        try String(contentsOf: root.appending(path: relative), encoding: .utf8)
    }

    func remove() {
        try? FileManager.default.removeItem(at: root.deletingLastPathComponent())
    }
}

/// The real "insert a task row" template, as in sql/queries/tasks.sql.
let insertRowTemplate = """
    -- name: insert_row
    -- kind: template
    -- The one definition of "insert a task row".
    INSERT INTO celeriac.tasks (id, name, queue, priority, args, kwargs, options, chain,
                                run_at, expires_at, max_retries, parent_id, root_id)
    SELECT i.id, i.name, i.queue, i.priority, i.args, i.kwargs, i.options, i.chain,
           coalesce(i.eta, now()) + coalesce(i.countdown, interval '0'),
           i.expires_at, i.max_retries, i.parent_id, i.root_id
    FROM task_input AS i
    """
