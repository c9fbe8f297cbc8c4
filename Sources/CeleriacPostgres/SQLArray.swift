/// A PostgreSQL array sent as one text parameter (`{"a","b",NULL}`), already encoded.
///
/// Bulk statements take columns of values this way; a column whose rows all hold the same
/// value can be sent as that one value (``SQLArray/column(_:_:)``).
public struct SQLArray: Sendable, Hashable {
    /// The array literal.
    public let literal: String

    @usableFromInline
    init(literal: String) {
        self.literal = literal
    }

    /// An array of the given elements (nil is SQL NULL).
    @inlinable
    public init<S: Sequence>(_ elements: S) where S.Element == String? {
        self.init(literal: SQLText.arrayLiteral(elements))
    }

    /// One column of a bulk statement: one element when every row has the same value, else one
    /// per row. The statement reads a one-element array as "this value for every row".
    /// Inlinable: callers get it specialised for their row type, as bulk inserts need.
    @inlinable
    public static func column<T>(_ rows: [T], _ value: (T) -> String?) -> SQLArray {
        guard let first = rows.first.map(value) else { return SQLArray([String?]()) }
        if rows.dropFirst().allSatisfy({ value($0) == first }) { return SQLArray(CollectionOfOne(first)) }
        return SQLArray(rows.lazy.map(value))
    }
}
