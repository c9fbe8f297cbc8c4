import Foundation

/// One step of a canvas: a task, or a group of member chains run in parallel. A chain is a
/// list of these; the step after a group is the group's body, which makes it a chord.
///
/// In the database a task step is a `ChainStepRecord` and a group step is
/// `{"id", "group": [member chains], "task_ids": [each member's final task], "allowed_failures"}`
/// (sql/repeatable/chords.sql).
public enum CanvasStep: Sendable {
    /// One task call.
    case task(ChainStep)
    /// Member chains run in parallel.
    case group(GroupStep)
}

/// A group inside a canvas: its id is fixed when it is described, so that a ``GroupResult``
/// can be handed out before the group is sent.
public struct GroupStep: Sendable {
    /// The group's id (its row in `groups`).
    public let id: UUID
    /// The member chains, in order. Each ends in a task.
    public var members: [[CanvasStep]]
    /// How many members may fail with the chord's body still sent.
    public var allowedFailures: Int

    init(members: [[CanvasStep]], allowedFailures: Int = 0) {
        id = UUID.v7()
        self.members = members
        self.allowedFailures = allowedFailures
    }
}

/// What a task step expects as arguments, when it was made from a typed ``TaskDefinition``:
/// enough to tell, before anything is sent, that a step will not accept what the step before
/// it returns.
public struct ArgumentShape: Sendable, Hashable {
    /// The task's parameter types, in order.
    let types: [ObjectIdentifier]
    /// Their names, for the message.
    let names: [String]
    /// How many arguments the signature was given.
    let given: Int
}
