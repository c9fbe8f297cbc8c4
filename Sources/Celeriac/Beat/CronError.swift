/// A cron expression, time zone or interval that cannot be used, with a message that names
/// the offending field and value.
///
/// ```swift
/// do {
///     _ = try CronExpression("61 * * * *")
/// } catch {
///     print(error.field)    // Optional("minute")
///     print(error.message)  // invalid cron expression "61 * * * *": minute value 61 is out of range 0-59
/// }
/// ```
public struct CronError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The field at fault: `"minute"`, `"hour"`, `"day of month"`, `"month"` or `"day of week"`
    /// for a bad field of a cron expression, `"time zone"` for an unknown zone, `"interval"` for
    /// a non-positive interval; nil when the expression as a whole is wrong (empty, wrong number
    /// of fields, unknown `@` alias).
    public let field: String?
    /// The full human-readable explanation, quoting the input.
    public let message: String

    /// An error about `field` (nil for the expression as a whole) explained by `message`.
    public init(field: String?, message: String) {
        self.field = field
        self.message = message
    }

    /// The same text as ``message``.
    public var description: String { message }
}
