import CeleriacPostgres
import Foundation
import Synchronization

/// Tasks sent together to run in parallel (Celery's `group`). Their results come back in
/// member order through a ``GroupResult``.
///
/// ```swift
/// let sums = try await group((0..<10).map { add.s($0, $0) }).delay()
/// try await sums.get(timeout: .seconds(10))  // [0, 2, 4, …, 18]
/// ```
///
/// The members are inserted by one statement, in the same transaction as the group's row
/// (`groups`, migration 0026): all of them exist, or none.
public struct Group<Output: Codable & Sendable>: Sendable {
    /// The app that will send it (nil for an empty group, which cannot be sent).
    public let app: CeleriacApp?
    /// The members, in order.
    public var members: [Signature<Output>]

    /// A group of `members`.
    public init(_ members: [Signature<Output>]) {
        self.app = members.first?.app
        self.members = members
    }

    /// Sends every member; returns at once with the group's result handle.
    /// - Throws: ``EnqueueError`` for an empty group or a member that cannot be sent.
    public func delay() async throws -> GroupResult<Output> {
        guard let app else { throw EnqueueError("a group needs at least one task") }
        let id = UUID.v7()
        let messages = try members.map { member in
            var message = try app.message(
                task: member.step.task, args: member.step.args.get(), options: member.step.options,
                taskOptions: member.step.taskOptions)
            message.options.group = id
            return message
        }
        let sql = try app.sql
        let ids = Mutex(messages.map(\.id))
        try await app.insertRetrying { connection in
            try connection.transaction { connection in
                let inserted = try TaskMessage.insert(messages, on: connection, sql: sql)
                try connection.run(SQL.Groups.Save(id: id, taskIds: inserted), in: sql)
                ids.withLock { $0 = inserted }
            }
        }
        return GroupResult(id: id, ids: ids.withLock { $0 }, app: app)
    }
}

/// A group of `members`: `group((0..<10).map { add.s($0, $0) })`.
public func group<Output>(_ members: [Signature<Output>]) -> Group<Output> {
    Group(members)
}

/// A group of `members`: `group(add.s(2, 2), add.s(4, 4))`.
public func group<Output>(_ members: Signature<Output>...) -> Group<Output> {
    Group(members)
}
