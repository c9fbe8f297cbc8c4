import CeleriacPostgres
import Foundation
import Synchronization

/// What sending a canvas inserts, all in one transaction: the task rows due first (each
/// carrying the rest of its chain) and the rows of the groups they start. Everything after
/// travels in those rows and is sent by the statements that record outcomes.
struct CanvasPlan: Sendable {
    /// A group's row (`groups`, migrations 0026 and 0027).
    struct GroupRow: Sendable {
        var id: UUID
        var taskIDs: [UUID]
        /// The chord's body (a step record) and the steps after it (a JSON array).
        var body: String?
        var rest: String?
        var allowedFailures: Int
        var rootID: UUID
    }

    /// The task rows to insert.
    var messages: [TaskMessage] = []
    /// The group rows to insert.
    var groups: [GroupRow] = []
    /// The canvas's final task, when it ends in one.
    var finalID: UUID?
    /// The canvas's final group (its id and its members' final tasks), when it ends in one.
    var finalGroup: (id: UUID, ids: [UUID])?

    /// Plans `steps` for `app`: see ``CanvasEncoding``.
    init(_ steps: [CanvasStep], app: CeleriacApp) throws {
        self = try CanvasEncoding(app: app).plan(steps, group: nil, root: nil)
    }

    init() {}

    /// Inserts the rows in one transaction; returns the task ids as inserted (for unique tasks
    /// whose key is held, the holders').
    @discardableResult
    func send(with app: CeleriacApp) async throws -> [UUID] {
        if groups.isEmpty, messages.count == 1, let message = messages.first {
            return [try await app.enqueue(message)]
        }
        let sql = try app.sql
        // Hooks may change a row, not its id: the plan's records name the ids.
        let messages = app.hooks.hasPublishHooks ? self.messages.map(app.hooks.beforePublishing) : self.messages
        let groups = self.groups
        let ids = Mutex(messages.map(\.id))
        try await app.insertRetrying { connection in
            try connection.transaction { connection in
                let inserted = try TaskMessage.insert(messages, on: connection, sql: sql)
                for group in groups {
                    try connection.run(
                        SQL.Groups.Save(
                            id: group.id, taskIds: group.taskIDs, body: group.body, rest: group.rest,
                            allowedFailures: group.allowedFailures, rootId: group.rootID),
                        in: sql)
                }
                ids.withLock { $0 = inserted }
            }
        }
        app.hooks.published(messages)
        return ids.withLock { $0 }
    }
}

/// Turns canvas steps into task rows, chain records and group rows. This is where a canvas's
/// shape is checked: a group member may not end in a group (its result would not be one
/// value), and a chord needs a member.
struct CanvasEncoding {
    let app: CeleriacApp

    /// A chain's steps as records: the JSON objects of its `chain` column.
    struct Records {
        var json: [String] = []
        var finalID: UUID?
        var finalGroup: (id: UUID, ids: [UUID])?

        /// The records as a JSON array, or nil for none.
        var column: String? { json.isEmpty ? nil : "[" + json.joined(separator: ",") + "]" }
    }

    /// The row of one task step; `group` marks it as the final task of a group's member.
    func message(_ step: ChainStep, group: UUID?) throws -> TaskMessage {
        var message = try app.message(
            task: step.task, args: step.args.get(), options: step.options, taskOptions: step.taskOptions)
        message.options.group = group
        message.options.link = try step.link.map { try records($0, group: nil).column ?? "[]" }
        message.options.linkError = try step.linkError.map { try records($0, group: nil).column ?? "[]" }
        return message
    }

    /// The records of `steps`, the last task marked with `group`.
    func records(_ steps: [CanvasStep], group: UUID?) throws -> Records {
        var out = Records()
        for (index, step) in steps.enumerated() {
            let last = index == steps.count - 1
            switch step {
            case .task(let task):
                let message = try message(task, group: last ? group : nil)
                out.json.append(try ChainStepRecord(message: message, immutable: task.immutable).json())
                if last { out.finalID = message.id }
            case .group(let inner):
                if last, group != nil { throw Self.memberEndsInGroup }
                let (record, ids) = try groupRecord(inner)
                out.json.append(record)
                if last { out.finalGroup = (inner.id, ids) }
            }
        }
        return out
    }

    /// A group step's record, and its members' final task ids.
    func groupRecord(_ step: GroupStep) throws -> (String, [UUID]) {
        var members: [String] = []
        var ids: [UUID] = []
        for member in step.members where !member.isEmpty {
            let encoded = try records(member, group: step.id)
            guard let id = encoded.finalID else { throw Self.memberEndsInGroup }
            members.append(encoded.column ?? "[]")
            ids.append(id)
        }
        let taskIDs = ids.map { "\"" + $0.celeryString + "\"" }.joined(separator: ",")
        let record =
            "{\"id\":\"\(step.id.celeryString)\",\"group\":[\(members.joined(separator: ","))],"
            + "\"task_ids\":[\(taskIDs)],\"allowed_failures\":\(step.allowedFailures)}"
        return (record, ids)
    }

    /// What sending `steps` inserts now. `group` marks the final task (a member of that group);
    /// `root` is the canvas's first id, given to every row.
    func plan(_ steps: [CanvasStep], group: UUID?, root: UUID?) throws -> CanvasPlan {
        guard let head = steps.first else { throw EnqueueError("a chain needs at least one task") }
        let rest = Array(steps.dropFirst())
        var plan = CanvasPlan()
        switch head {
        case .task(let step):
            var first = try message(step, group: rest.isEmpty ? group : nil)
            let after = try records(rest, group: group)
            first.chain = after.column
            if first.chain != nil || root != nil { first.rootID = root ?? first.id }
            plan.messages.append(first)
            plan.finalID = rest.isEmpty ? first.id : after.finalID
            plan.finalGroup = after.finalGroup
        case .group(let header):
            let root = root ?? header.id
            var ids: [UUID] = []
            for member in header.members where !member.isEmpty {
                let part = try self.plan(member, group: header.id, root: root)
                guard let id = part.finalID else { throw Self.memberEndsInGroup }
                plan.messages += part.messages
                plan.groups += part.groups
                ids.append(id)
            }
            let after = try records(rest, group: group)
            if ids.isEmpty {
                throw EnqueueError(
                    rest.isEmpty ? "a group needs at least one task" : "a chord needs at least one task in its header")
            }
            plan.groups.append(
                CanvasPlan.GroupRow(
                    id: header.id, taskIDs: ids, body: after.json.first,
                    rest: after.json.count > 1 ? "[" + after.json.dropFirst().joined(separator: ",") + "]" : nil,
                    allowedFailures: header.allowedFailures, rootID: root))
            if rest.isEmpty {
                plan.finalGroup = (header.id, ids)
            } else {
                plan.finalID = after.finalID
                plan.finalGroup = after.finalGroup
            }
        }
        return plan
    }

    static let memberEndsInGroup = EnqueueError(
        "a member of a group cannot end in a group: add a step after the inner group (a chord), or make its members members of the outer group"
    )
}
