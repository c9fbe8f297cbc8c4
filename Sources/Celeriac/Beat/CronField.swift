/// One of the five fields of a ``CronExpression``: the set of values it allows, kept as a bit
/// set (bit `n` set when value `n` is allowed), and whether it was written as a bare `*`.
struct CronField: Sendable, Hashable {
    /// Which field this is: its name in messages, its value range and its names, if any.
    enum Kind: Sendable, CaseIterable {
        case minute, hour, dayOfMonth, month, dayOfWeek

        /// The name used in error messages and ``CronError/field``.
        var name: String {
            switch self {
            case .minute: "minute"
            case .hour: "hour"
            case .dayOfMonth: "day of month"
            case .month: "month"
            case .dayOfWeek: "day of week"
            }
        }

        /// The values that may be written (day of week accepts 7 as a second Sunday).
        var bounds: ClosedRange<Int> {
            switch self {
            case .minute: 0...59
            case .hour: 0...23
            case .dayOfMonth: 1...31
            case .month: 1...12
            case .dayOfWeek: 0...7
            }
        }

        /// The values `*` and an open-ended step (`5/15`) cover: Sunday is 0 only, not also 7.
        var wildcardBounds: ClosedRange<Int> {
            self == .dayOfWeek ? 0...6 : bounds
        }

        /// Lower-case names, the first standing for `wildcardBounds.lowerBound`; empty when
        /// the field takes numbers only.
        var names: [String] {
            switch self {
            case .month: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
            case .dayOfWeek: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
            default: []
            }
        }
    }

    /// Bit `n` is set when the value `n` is allowed (day of week: 0 = Sunday … 6 = Saturday).
    let bits: UInt64
    /// True when the field was written as exactly `*`; decides the day-of-month/day-of-week rule.
    let isWildcard: Bool

    /// Whether `value` is allowed.
    func contains(_ value: Int) -> Bool {
        value >= 0 && value < 64 && bits & (1 << UInt64(value)) != 0
    }

    /// The smallest allowed value that is at least `value`, if any.
    func next(atOrAfter value: Int) -> Int? {
        guard value < 64 else { return nil }
        let masked = value <= 0 ? bits : bits & ~((1 << UInt64(value)) - 1)
        return masked == 0 ? nil : masked.trailingZeroBitCount
    }

    /// The largest allowed value that is at most `value`, if any.
    func previous(atOrBefore value: Int) -> Int? {
        guard value >= 0 else { return nil }
        let masked = value >= 63 ? bits : bits & ((1 << UInt64(value + 1)) - 1)
        return masked == 0 ? nil : 63 - masked.leadingZeroBitCount
    }

    /// The allowed values, ascending.
    var values: [Int] {
        (0..<64).filter { contains($0) }
    }
}

extension CronField {
    /// Parses one field, e.g. `1-5,10,*/20` or `mon-fri`. `expression` is the whole text, for
    /// error messages.
    static func parse(_ text: Substring, kind: Kind, expression: String) throws(CronError) -> CronField {
        func fail(_ problem: String) -> CronError {
            CronError(field: kind.name, message: "invalid cron expression \"\(expression)\": \(kind.name) \(problem)")
        }
        var bits: UInt64 = 0
        for element in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard !element.isEmpty else { throw fail("list \"\(text)\" has an empty element") }
            let parts = element.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count <= 2, let base = parts.first, !base.isEmpty else {
                throw fail("element \"\(element)\" is malformed (expected a value, a range or a step)")
            }
            var range: ClosedRange<Int>
            let isOpenEnded: Bool
            if base == "*" {
                range = kind.wildcardBounds
                isOpenEnded = true
            } else {
                let ends = base.split(separator: "-", omittingEmptySubsequences: false)
                guard ends.count <= 2, ends.allSatisfy({ !$0.isEmpty && $0 != "*" }) else {
                    throw fail("element \"\(element)\" is malformed (expected a value, a range or a step)")
                }
                let start = try value(ends[0], kind: kind, fail: fail)
                if ends.count == 2 {
                    var end = try value(ends[1], kind: kind, fail: fail)
                    // `fri-sun`: a Sunday written by name closes the week as 7.
                    if kind == .dayOfWeek, end == 0, start > 0, ends[1].lowercased() == "sun" { end = 7 }
                    guard start <= end else { throw fail("range \(base) is reversed (the start must not exceed the end)") }
                    range = start...end
                    isOpenEnded = false
                } else {
                    range = start...start
                    isOpenEnded = true
                }
            }
            var step = 1
            if parts.count == 2 {
                step = try stepValue(parts[1], kind: kind, fail: fail)
                // `5/15` runs from 5 to the field's end, like `*/15` starting at 5.
                if isOpenEnded { range = range.lowerBound...max(range.lowerBound, kind.wildcardBounds.upperBound) }
            }
            for value in stride(from: range.lowerBound, through: range.upperBound, by: step) {
                // Day of week 7 is Sunday, stored as 0.
                let stored = kind == .dayOfWeek && value == 7 ? 0 : value
                bits |= 1 << UInt64(stored)
            }
        }
        return CronField(bits: bits, isWildcard: text == "*")
    }

    /// A single number, or a name in the month and day-of-week fields.
    private static func value(_ text: Substring, kind: Kind, fail: (String) -> CronError) throws(CronError) -> Int {
        if text.allSatisfy({ $0.isASCII && $0.isNumber }) {
            guard let number = Int(text), kind.bounds.contains(number) else {
                throw fail("value \(text) is out of range \(kind.bounds.lowerBound)-\(kind.bounds.upperBound)")
            }
            return number
        }
        if let index = kind.names.firstIndex(of: text.lowercased()) {
            return kind.wildcardBounds.lowerBound + index
        }
        switch kind {
        case .month: throw fail("value \"\(text)\" is not a number or a month name (jan-dec)")
        case .dayOfWeek: throw fail("value \"\(text)\" is not a number or a day name (sun-sat)")
        default: throw fail("value \"\(text)\" is not a number")
        }
    }

    /// The number after `/`: at least 1, at most the width of the field's range.
    private static func stepValue(_ text: Substring, kind: Kind, fail: (String) -> CronError) throws(CronError) -> Int {
        let largest = kind.bounds.upperBound - kind.bounds.lowerBound
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw fail("step \"\(text)\" is not a number")
        }
        guard let step = Int(text), (1...largest).contains(step) else {
            throw fail("step \(text) is out of range 1-\(largest)")
        }
        return step
    }
}
