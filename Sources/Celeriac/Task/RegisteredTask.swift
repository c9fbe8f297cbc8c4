/// A task as the worker sees it: a name, options and a type-erased body that takes
/// JSON arguments and returns JSON.
struct RegisteredTask: Sendable {
    typealias Body = @Sendable (_ context: TaskContext, _ args: String, _ kwargs: String) async throws -> String

    typealias Check = @Sendable (_ args: String, _ kwargs: String) throws -> Void

    let name: String
    let options: TaskOptions
    /// Decodes the arguments without running the task: what `sendTask` (and `celeriac call`
    /// in a binary that knows the task) checks before enqueueing.
    let check: Check
    let body: Body
}
