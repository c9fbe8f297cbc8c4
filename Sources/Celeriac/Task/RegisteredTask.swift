/// A task as the worker sees it: a name, options and a type-erased body that takes
/// JSON arguments and returns JSON.
struct RegisteredTask: Sendable {
    typealias Body = @Sendable (_ context: TaskContext, _ args: String, _ kwargs: String) async throws -> String

    let name: String
    let options: TaskOptions
    let body: Body
}
