import CLibPQ
import Foundation

/// The rows of a finished statement. Owns its `PGresult` and frees it on deinit.
///
/// Cells are read straight from libpq's buffer: numbers are parsed in place and only
/// the columns a caller asks for as `String` are copied.
///
/// `@unchecked Sendable`: a finished `PGresult` is never mutated by libpq after it is
/// returned, and libpq documents it as safe to read from any thread.
public final class QueryResult: @unchecked Sendable {
    private let handle: OpaquePointer

    init(handle: OpaquePointer) {
        self.handle = handle
    }

    deinit {
        PQclear(handle)
    }

    /// The number of rows returned.
    public var rowCount: Int { Int(PQntuples(handle)) }

    /// The number of columns returned.
    public var columnCount: Int { Int(PQnfields(handle)) }

    /// The number of rows an `INSERT`/`UPDATE`/`DELETE` touched (0 when not applicable).
    public var affectedRows: Int {
        guard let text = PQcmdTuples(handle) else { return 0 }
        return Int(strtoll(text, nil, 10))
    }

    /// The index of the named column, or nil.
    public func column(named name: String) -> Int? {
        let index = Int(PQfnumber(handle, name))
        return index < 0 ? nil : index
    }

    /// The name of column `index`.
    public func columnName(_ index: Int) -> String {
        guard let name = PQfname(handle, Int32(index)) else { return "" }
        return String(cString: name)
    }

    /// Whether the cell is SQL NULL.
    public func isNull(_ row: Int, _ column: Int) -> Bool {
        PQgetisnull(handle, Int32(row), Int32(column)) == 1
    }

    /// The cell as text, or nil for NULL.
    public func string(_ row: Int, _ column: Int) -> String? {
        guard !isNull(row, column), let value = PQgetvalue(handle, Int32(row), Int32(column)) else { return nil }
        return String(cString: value)
    }

    /// The cell as an integer parsed in place, or nil for NULL.
    public func int(_ row: Int, _ column: Int) -> Int? {
        guard !isNull(row, column), let value = PQgetvalue(handle, Int32(row), Int32(column)) else { return nil }
        return Int(strtoll(value, nil, 10))
    }

    /// The cell as a double parsed in place, or nil for NULL.
    public func double(_ row: Int, _ column: Int) -> Double? {
        guard !isNull(row, column), let value = PQgetvalue(handle, Int32(row), Int32(column)) else { return nil }
        return strtod(value, nil)
    }

    /// The cell as a boolean (`t`/`f`), or nil for NULL.
    public func bool(_ row: Int, _ column: Int) -> Bool? {
        guard !isNull(row, column), let value = PQgetvalue(handle, Int32(row), Int32(column)) else { return nil }
        return value.pointee == UInt8(ascii: "t")
    }

    /// The cell as a UUID, or nil for NULL or malformed text.
    public func uuid(_ row: Int, _ column: Int) -> UUID? {
        string(row, column).flatMap(UUID.init(uuidString:))
    }

    /// The cell's raw bytes (text format), without copying them into a `String`.
    public func withBytes<T>(_ row: Int, _ column: Int, _ body: (UnsafeRawBufferPointer?) throws -> T) rethrows -> T {
        guard !isNull(row, column), let value = PQgetvalue(handle, Int32(row), Int32(column)) else {
            return try body(nil)
        }
        let length = Int(PQgetlength(handle, Int32(row), Int32(column)))
        return try body(UnsafeRawBufferPointer(start: value, count: length))
    }

    /// The first cell of the first row as text, if any.
    public var scalar: String? { rowCount > 0 && columnCount > 0 ? string(0, 0) : nil }
}
