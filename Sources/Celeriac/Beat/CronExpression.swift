/// A parsed five-field cron expression: `minute hour day-of-month month day-of-week`.
///
/// Each field accepts `*`, numbers, ranges (`1-5`), steps (`*/15`, `10-50/5`, and `5/15`,
/// meaning from 5 to the end of the field every 15), and comma-separated lists of those
/// (`1-5,10,*/20`). Months may be written `jan`…`dec` and days of the week `sun`…`sat`, in any
/// case and also in ranges (`mon-fri`). Day of week runs 0–7, where both 0 and 7 are Sunday.
/// The aliases `@yearly` (`@annually`), `@monthly`, `@weekly`, `@daily` (`@midnight`) and
/// `@hourly` stand for `0 0 1 1 *`, `0 0 1 * *`, `0 0 * * 0`, `0 0 * * *` and `0 * * * *`.
///
/// Days follow Vixie cron: when both day of month and day of week are restricted (neither is
/// written as a bare `*`), a day matches when *either* matches; otherwise both must. So
/// `0 9 1 * mon` runs on the 1st of each month and on every Monday, while `0 9 * * mon` runs on
/// Mondays only.
///
/// ```swift
/// let weekdays = try CronExpression("30 9 * * MON-FRI")
/// print(weekdays)  // 30 9 * * mon-fri
/// let schedule = Schedule.cron(weekdays, timeZone: try Schedule.timeZone(named: "Europe/Berlin"))
/// let next = schedule.nextFire(after: Date())  // the next weekday 09:30 in Berlin
/// ```
///
/// Two expressions are equal when they allow the same values in every field under the same
/// day rule, however they are spelt: `*/30 * * * *` equals `0,30 * * * *`, `@daily` equals
/// `0 0 * * *`. Invalid text throws a ``CronError`` naming the field and value at fault.
public struct CronExpression: Sendable, Hashable, CustomStringConvertible {
    /// The normalised text: fields separated by single spaces, names and aliases in lower case
    /// (`"0 9 * * MON-FRI"` gives `"0 9 * * mon-fri"`).
    public let description: String

    let minute: CronField
    let hour: CronField
    let dayOfMonth: CronField
    let month: CronField
    let dayOfWeek: CronField

    /// True when both day fields are restricted, so a day matches if either does.
    var matchesEitherDay: Bool { !dayOfMonth.isWildcard && !dayOfWeek.isWildcard }

    /// Parses `text`, e.g. `"*/15 9-17 * * mon-fri"` or `"@hourly"`; surrounding white space is
    /// ignored. Throws a ``CronError`` for an empty text, a field count other than five, an
    /// unknown alias or name, a value out of range, a reversed range or a step of 0.
    public init(_ text: String) throws(CronError) {
        let fields = text.split(whereSeparator: { $0.isWhitespace })
        func fail(_ problem: String) -> CronError {
            CronError(field: nil, message: "invalid cron expression \"\(text)\": \(problem)")
        }
        guard let first = fields.first else { throw fail("the expression is empty") }

        if first.hasPrefix("@") {
            let alias = fields.joined(separator: " ").lowercased()
            guard let expansion = Self.aliases[alias] else {
                let known = "@yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly"
                throw fail("unknown alias \"\(fields.joined(separator: " "))\" (expected \(known))")
            }
            try self.init(parsing: expansion.split(separator: " "), text: text, description: alias)
        } else {
            guard fields.count == 5 else {
                throw fail("expected 5 fields (minute hour day-of-month month day-of-week), got \(fields.count)")
            }
            try self.init(parsing: fields, text: text, description: fields.joined(separator: " ").lowercased())
        }
    }

    private init(parsing fields: [Substring], text: String, description: String) throws(CronError) {
        self.minute = try CronField.parse(fields[0], kind: .minute, expression: text)
        self.hour = try CronField.parse(fields[1], kind: .hour, expression: text)
        self.dayOfMonth = try CronField.parse(fields[2], kind: .dayOfMonth, expression: text)
        self.month = try CronField.parse(fields[3], kind: .month, expression: text)
        self.dayOfWeek = try CronField.parse(fields[4], kind: .dayOfWeek, expression: text)
        self.description = description
    }

    private static let aliases: [String: String] = [
        "@yearly": "0 0 1 1 *",
        "@annually": "0 0 1 1 *",
        "@monthly": "0 0 1 * *",
        "@weekly": "0 0 * * 0",
        "@daily": "0 0 * * *",
        "@midnight": "0 0 * * *",
        "@hourly": "0 * * * *",
    ]

    /// Equal when every field allows the same values under the same day rule; the spelling
    /// (``description``) does not count.
    public static func == (lhs: CronExpression, rhs: CronExpression) -> Bool {
        lhs.minute.bits == rhs.minute.bits && lhs.hour.bits == rhs.hour.bits
            && lhs.dayOfMonth.bits == rhs.dayOfMonth.bits && lhs.month.bits == rhs.month.bits
            && lhs.dayOfWeek.bits == rhs.dayOfWeek.bits && lhs.matchesEitherDay == rhs.matchesEitherDay
    }

    /// Hashes what `==` compares.
    public func hash(into hasher: inout Hasher) {
        for field in [minute, hour, dayOfMonth, month, dayOfWeek] { hasher.combine(field.bits) }
        hasher.combine(matchesEitherDay)
    }
}
