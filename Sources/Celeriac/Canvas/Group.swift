import Foundation

/// Tasks sent together to run in parallel (Celery's `group`). Their results come back in
/// member order through a ``GroupResult``. A member may be a chain: its last task's result is
/// the member's.
///
/// ```swift
/// let sums = try await group((0..<10).map { add.s($0, $0) }).delay()
/// try await sums.get(timeout: .seconds(10))  // [0, 2, 4, …, 18]
/// ```
///
/// Followed by a signature (`group | body`, or `chord(group, body)`) it is a chord.
/// The members are inserted by one statement, in the same transaction as the group's row
/// (`groups`, migrations 0026 and 0027): all of them exist, or none.
public struct Group<Output: Codable & Sendable>: Sendable {
    /// The app that will send it (nil for an empty group, which cannot be sent).
    public let app: CeleriacApp?
    /// The group as a canvas step (its id is fixed now).
    public var step: GroupStep
    /// A type mismatch found when the members were put together, reported when it is sent.
    var problem: EnqueueError?

    /// A group of `members`.
    public init(_ members: [Signature<Output>]) {
        app = members.first?.app
        step = GroupStep(members: members.map { [.task($0.step)] })
    }

    /// A group whose members are chains (each member's result is its last task's).
    public init(chains members: [Chain<Output>]) {
        app = members.first?.app
        step = GroupStep(members: members.map(\.canvas))
        problem = members.lazy.compactMap(\.problem).first
    }

    /// The group's id, fixed when it is described: its ``GroupResult`` has it.
    public var id: UUID { step.id }

    /// The same group, whose chord body is still sent when up to `count` members fail (their
    /// results are left out of the body's list). By default any failure fails the body.
    public func allowingFailures(_ count: Int) -> Group {
        var copy = self
        copy.step.allowedFailures = max(0, count)
        return copy
    }

    /// Sends every member; returns at once with the group's result handle.
    /// - Throws: ``EnqueueError`` for an empty group or a member that cannot be sent.
    public func delay() async throws -> GroupResult<Output> {
        guard let app else { throw EnqueueError("a group needs at least one task") }
        if let problem { throw problem }
        if app.conf.taskAlwaysEager {
            let ran = try await EagerRunner(app: app).run([.group(step)])
            return GroupResult(id: step.id, ids: ran.finalGroup?.ids ?? [], app: app)
        }
        let plan = try CanvasPlan([.group(step)], app: app)
        let inserted = try await plan.send(with: app)
        // Members that are single unique tasks whose key was held answer with the holder.
        let holders = Dictionary(zip(plan.messages.map(\.id), inserted), uniquingKeysWith: { first, _ in first })
        let ids = plan.finalGroup?.ids.map { holders[$0] ?? $0 } ?? []
        return GroupResult(id: step.id, ids: ids, app: app)
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

/// A group of chains: `group([add.s(1, 1) | add.s(10), add.s(2, 2) | add.s(20)])`.
public func group<Output>(_ members: [Chain<Output>]) -> Group<Output> {
    Group(chains: members)
}
