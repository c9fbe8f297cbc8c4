import Foundation

/// A step that takes the previous step's result as its only argument, typed: made with
/// ``TaskDefinition/callback()`` from a task whose parameters are exactly `Input`. Chained
/// after a step whose output is not `Input` (or a chord whose results are not `Input`), it
/// does not compile.
///
/// ```swift
/// let tsum = app.task("tasks.tsum") { (values: [Int]) async throws -> Int in values.reduce(0, +) }
/// let total = chord((0..<10).map { add.s($0, $0) }, tsum.callback())   // checked by the compiler
/// ```
///
/// Swift's parameter packs cannot name a task's first parameter apart from the others, so a
/// step given some arguments of its own (`add.s(10)`) is checked when the canvas is put together
/// instead (``Chain/problem``).
public struct Callback<Input, Output: Codable & Sendable>: Sendable {
    /// The step, receiving the previous result.
    public let signature: Signature<Output>
}

extension TaskDefinition {
    /// This task as the next step of a chain or the body of a chord, taking the previous result
    /// as its only argument: the compiler checks the types.
    public func callback() -> Callback<(repeat each Argument), Output> {
        Callback(signature: s())
    }
}

/// A signature followed by a typed callback.
public func | <A, B>(lhs: Signature<A>, rhs: Callback<A, B>) -> Chain<B> {
    lhs | rhs.signature
}

/// A chain followed by a typed callback.
public func | <A, B>(lhs: Chain<A>, rhs: Callback<A, B>) -> Chain<B> {
    lhs | rhs.signature
}

/// A group followed by a typed callback taking the list of its results: a chord.
public func | <A, B>(lhs: Group<A>, rhs: Callback<[A], B>) -> Chain<B> {
    lhs | rhs.signature
}

/// A chain ending in a group, followed by a typed callback taking the group's results.
public func | <A, B>(lhs: ChainedGroup<A>, rhs: Callback<[A], B>) -> Chain<B> {
    lhs | rhs.signature
}

/// A chord whose body's type the compiler checks: it takes the list of the header's results.
public func chord<A, B>(_ header: Group<A>, _ body: Callback<[A], B>, allowedFailures: Int = 0) -> Chain<B> {
    chord(header, body.signature, allowedFailures: allowedFailures)
}

/// A chord of `header`'s signatures whose body's type the compiler checks.
public func chord<A, B>(_ header: [Signature<A>], _ body: Callback<[A], B>, allowedFailures: Int = 0) -> Chain<B> {
    chord(Group(header), body.signature, allowedFailures: allowedFailures)
}
