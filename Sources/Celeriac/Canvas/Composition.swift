import Foundation

// Putting canvases together with `|` and `chord`. Each step receives what the step before it
// returns as its first argument (unless it is immutable, `si`): a group's members each receive
// it, and the step after a group receives the list of the group's results, in member order.
//
// Swift's parameter packs cannot name a task's first parameter apart from the others, so the
// types are compared when the steps are put together and a mismatch is reported by `delay()`,
// before anything is sent, rather than by the compiler.

/// What a step gives the next one: a value of type `Value`.
struct Handoff {
    /// The types the next step may take first: `Value` and `Value?`.
    let accepted: [ObjectIdentifier]
    let name: String

    init<Value>(_: Value.Type) {
        accepted = [ObjectIdentifier(Value.self), ObjectIdentifier(Value?.self)]
        name = String(describing: Value.self)
    }

    /// Why `step` cannot follow, or nil.
    func problem(with step: CanvasStep) -> EnqueueError? {
        switch step {
        case .task(let task):
            guard !task.immutable, let shape = task.shape, task.options.kwargs == nil else { return nil }
            guard shape.types.count == shape.given + 1 else {
                return EnqueueError(
                    "\(task.task) takes \(shape.types.count) arguments, but it was given \(shape.given) and would get "
                        + "the previous step's result (\(name)) as well: \(shape.given + 1) (use si() to leave the result out)"
                )
            }
            guard let first = shape.types.first, accepted.contains(first) else {
                return EnqueueError(
                    "\(task.task) takes \(shape.names.first ?? "nothing") as its first argument, but the step before it returns \(name)"
                )
            }
            return nil
        case .group(let group):
            return group.members.lazy.compactMap { $0.first.flatMap(problem(with:)) }.first
        }
    }
}

/// The first problem of several, if any.
private func firstProblem(_ problems: EnqueueError?...) -> EnqueueError? {
    problems.lazy.compactMap { $0 }.first
}

/// Joins two canvases: `rhs`'s first step receives `value`.
private func joined<Value>(
    _ lhs: [CanvasStep], _ lhsProblem: EnqueueError?, giving value: Value.Type, _ rhs: [CanvasStep],
    _ rhsProblem: EnqueueError?
) -> ([CanvasStep], EnqueueError?) {
    (lhs + rhs, firstProblem(lhsProblem, rhs.first.flatMap(Handoff(value).problem(with:)), rhsProblem))
}

/// Chains two signatures: `add.s(1, 2) | add.s(3)`.
public func | <A, B>(lhs: Signature<A>, rhs: Signature<B>) -> Chain<B> {
    let (canvas, problem) = joined([.task(lhs.step)], nil, giving: A.self, [.task(rhs.step)], nil)
    return Chain(app: lhs.app, canvas: canvas, problem: problem)
}

/// Extends a chain: `chain | add.s(4)`.
public func | <A, B>(lhs: Chain<A>, rhs: Signature<B>) -> Chain<B> {
    let (canvas, problem) = joined(lhs.canvas, lhs.problem, giving: A.self, [.task(rhs.step)], nil)
    return Chain(app: lhs.app, canvas: canvas, problem: problem)
}

/// Joins two chains: `chain1 | chain2` (for example two chords).
public func | <A, B>(lhs: Chain<A>, rhs: Chain<B>) -> Chain<B> {
    let (canvas, problem) = joined(lhs.canvas, lhs.problem, giving: A.self, rhs.canvas, rhs.problem)
    return Chain(app: lhs.app, canvas: canvas, problem: problem)
}

/// A signature followed by a chain: `add.s(1, 2) | chord`.
public func | <A, B>(lhs: Signature<A>, rhs: Chain<B>) -> Chain<B> {
    let (canvas, problem) = joined([.task(lhs.step)], nil, giving: A.self, rhs.canvas, rhs.problem)
    return Chain(app: lhs.app, canvas: canvas, problem: problem)
}

/// A signature followed by a group: each member receives the signature's result.
public func | <A, B>(lhs: Signature<A>, rhs: Group<B>) -> ChainedGroup<B> {
    let (canvas, problem) = joined([.task(lhs.step)], nil, giving: A.self, [.group(rhs.step)], rhs.problem)
    return ChainedGroup(app: lhs.app, canvas: canvas, problem: problem)
}

/// A chain followed by a group: each member receives the chain's result.
public func | <A, B>(lhs: Chain<A>, rhs: Group<B>) -> ChainedGroup<B> {
    let (canvas, problem) = joined(lhs.canvas, lhs.problem, giving: A.self, [.group(rhs.step)], rhs.problem)
    return ChainedGroup(app: lhs.app, canvas: canvas, problem: problem)
}

/// A group followed by a signature, which receives the list of the group's results: a chord
/// (Celery's `group | body`).
public func | <A, B>(lhs: Group<A>, rhs: Signature<B>) -> Chain<B> {
    let (canvas, problem) = joined([.group(lhs.step)], lhs.problem, giving: [A].self, [.task(rhs.step)], nil)
    return Chain(app: rhs.app, canvas: canvas, problem: problem)
}

/// A group followed by a chain, whose first step receives the list of the group's results.
public func | <A, B>(lhs: Group<A>, rhs: Chain<B>) -> Chain<B> {
    let (canvas, problem) = joined([.group(lhs.step)], lhs.problem, giving: [A].self, rhs.canvas, rhs.problem)
    return Chain(app: rhs.app, canvas: canvas, problem: problem)
}

/// A group followed by a group: each member of the second receives the list of the first's
/// results.
public func | <A, B>(lhs: Group<A>, rhs: Group<B>) -> ChainedGroup<B> {
    let (canvas, problem) = joined([.group(lhs.step)], lhs.problem, giving: [A].self, [.group(rhs.step)], rhs.problem)
    return ChainedGroup(app: lhs.app ?? rhs.app, canvas: canvas, problem: problem)
}

/// A chain ending in a group, followed by a signature that receives the group's results: a
/// chord inside a chain.
public func | <A, B>(lhs: ChainedGroup<A>, rhs: Signature<B>) -> Chain<B> {
    let (canvas, problem) = joined(lhs.canvas, lhs.problem, giving: [A].self, [.task(rhs.step)], nil)
    return Chain(app: rhs.app, canvas: canvas, problem: problem)
}

/// A chain ending in a group, followed by a chain whose first step receives the group's results.
public func | <A, B>(lhs: ChainedGroup<A>, rhs: Chain<B>) -> Chain<B> {
    let (canvas, problem) = joined(lhs.canvas, lhs.problem, giving: [A].self, rhs.canvas, rhs.problem)
    return Chain(app: rhs.app, canvas: canvas, problem: problem)
}

/// A chain ending in a group, followed by another group whose members each receive the first
/// group's results.
public func | <A, B>(lhs: ChainedGroup<A>, rhs: Group<B>) -> ChainedGroup<B> {
    let (canvas, problem) = joined(lhs.canvas, lhs.problem, giving: [A].self, [.group(rhs.step)], rhs.problem)
    return ChainedGroup(app: lhs.app, canvas: canvas, problem: problem)
}

/// A chord (Celery's `chord(header)(body)`): the header's members run in parallel, and the body
/// is sent with their results, in member order, by the statement that records the last
/// member's outcome: once, whichever worker finishes last.
///
/// ```swift
/// let total = try await chord((0..<10).map { add.s($0, $0) }, tsum.s()).delay()
/// try await total.get(timeout: .seconds(10))  // 90
/// ```
///
/// When a member fails or is revoked, the other members still run, and once all have finished
/// the body fails with `ChordError` naming the first failed member and its error (the rest of
/// a chain after it fails with `ChainAborted`). With `allowedFailures`, the body is still sent
/// while no more than that many members failed, with only the successful members' results.
public func chord<A, B>(_ header: Group<A>, _ body: Signature<B>, allowedFailures: Int = 0) -> Chain<B> {
    header.allowingFailures(max(allowedFailures, header.step.allowedFailures)) | body
}

/// A chord of `header`'s signatures and `body`.
public func chord<A, B>(_ header: [Signature<A>], _ body: Signature<B>, allowedFailures: Int = 0) -> Chain<B> {
    chord(Group(header), body, allowedFailures: allowedFailures)
}
