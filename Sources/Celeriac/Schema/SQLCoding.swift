import CeleriacPostgres
import Foundation

/// How generated statements turn parameters into text (one function per `-- param` type).
package enum SQLEncode {
    package static func text(_ value: String) -> String? { value }
    package static func text(_ value: String?) -> String? { value }
    package static func json(_ value: String) -> String? { value }
    package static func json(_ value: String?) -> String? { value }
    package static func int(_ value: Int) -> String? { String(value) }
    package static func int(_ value: Int?) -> String? { value.map(String.init) }
    package static func float8(_ value: Double) -> String? { String(value) }
    package static func float8(_ value: Double?) -> String? { value.map { String($0) } }
    package static func bool(_ value: Bool) -> String? { value ? "true" : "false" }
    package static func bool(_ value: Bool?) -> String? { value.map { $0 ? "true" : "false" } }
    package static func uuid(_ value: UUID) -> String? { value.celeryString }
    package static func uuid(_ value: UUID?) -> String? { value?.celeryString }
    package static func textArray(_ value: [String]) -> String? { SQLText.arrayLiteral(strings: value) }
    package static func textArray(_ value: [String]?) -> String? { value.map { SQLText.arrayLiteral(strings: $0) } }
    package static func uuidArray(_ value: [UUID]) -> String? { SQLText.arrayLiteral(strings: value.lazy.map(\.celeryString)) }
    package static func uuidArray(_ value: [UUID]?) -> String? { value.flatMap(uuidArray) }
    package static func intArray(_ value: [Int]) -> String? { SQLText.arrayLiteral(strings: value.lazy.map { String($0) }) }
    package static func intArray(_ value: [Int]?) -> String? { value.flatMap(intArray) }
    package static func float8Array(_ value: [Double]) -> String? { SQLText.arrayLiteral(strings: value.lazy.map { String($0) }) }
    package static func float8Array(_ value: [Double]?) -> String? { value.flatMap(float8Array) }
    package static func array(_ value: SQLArray) -> String? { value.literal }
    package static func array(_ value: SQLArray?) -> String? { value?.literal }
}

/// How generated rows read their columns (one function per `-- column` type): `xOrNil` for a
/// nullable column, `x` for one that must not be NULL.
package enum SQLDecode {
    package static func textOrNil(_ result: QueryResult, _ row: Int, _ column: Int) -> String? {
        result.string(row, column)
    }
    package static func jsonOrNil(_ result: QueryResult, _ row: Int, _ column: Int) -> String? {
        result.string(row, column)
    }
    package static func intOrNil(_ result: QueryResult, _ row: Int, _ column: Int) -> Int? {
        result.int(row, column)
    }
    package static func float8OrNil(_ result: QueryResult, _ row: Int, _ column: Int) -> Double? {
        result.double(row, column)
    }
    package static func boolOrNil(_ result: QueryResult, _ row: Int, _ column: Int) -> Bool? {
        result.bool(row, column)
    }
    package static func uuidOrNil(_ result: QueryResult, _ row: Int, _ column: Int) -> UUID? {
        result.uuid(row, column)
    }
    package static func textArrayOrNil(_ result: QueryResult, _ row: Int, _ column: Int) -> [String]? {
        result.string(row, column).flatMap(SQLArrayParser.elements)?.compactMap { $0 }
    }
    package static func uuidArrayOrNil(_ result: QueryResult, _ row: Int, _ column: Int) -> [UUID]? {
        textArrayOrNil(result, row, column)?.compactMap(UUID.init(uuidString:))
    }
    package static func intArrayOrNil(_ result: QueryResult, _ row: Int, _ column: Int) -> [Int]? {
        textArrayOrNil(result, row, column)?.compactMap { Int($0) }
    }
    package static func float8ArrayOrNil(_ result: QueryResult, _ row: Int, _ column: Int) -> [Double]? {
        textArrayOrNil(result, row, column)?.compactMap { Double($0) }
    }

    package static func text(_ result: QueryResult, _ row: Int, _ column: Int, _ name: String) throws -> String {
        try required(textOrNil(result, row, column), name)
    }
    package static func json(_ result: QueryResult, _ row: Int, _ column: Int, _ name: String) throws -> String {
        try required(jsonOrNil(result, row, column), name)
    }
    package static func int(_ result: QueryResult, _ row: Int, _ column: Int, _ name: String) throws -> Int {
        try required(intOrNil(result, row, column), name)
    }
    package static func float8(_ result: QueryResult, _ row: Int, _ column: Int, _ name: String) throws -> Double {
        try required(float8OrNil(result, row, column), name)
    }
    package static func bool(_ result: QueryResult, _ row: Int, _ column: Int, _ name: String) throws -> Bool {
        try required(boolOrNil(result, row, column), name)
    }
    package static func uuid(_ result: QueryResult, _ row: Int, _ column: Int, _ name: String) throws -> UUID {
        try required(uuidOrNil(result, row, column), name)
    }
    package static func textArray(_ result: QueryResult, _ row: Int, _ column: Int, _ name: String) throws -> [String] {
        try required(textArrayOrNil(result, row, column), name)
    }
    package static func uuidArray(_ result: QueryResult, _ row: Int, _ column: Int, _ name: String) throws -> [UUID] {
        try required(uuidArrayOrNil(result, row, column), name)
    }
    package static func intArray(_ result: QueryResult, _ row: Int, _ column: Int, _ name: String) throws -> [Int] {
        try required(intArrayOrNil(result, row, column), name)
    }
    package static func float8Array(_ result: QueryResult, _ row: Int, _ column: Int, _ name: String) throws -> [Double] {
        try required(float8ArrayOrNil(result, row, column), name)
    }

    private static func required<T>(_ value: T?, _ name: String) throws -> T {
        guard let value else {
            throw PostgresError(code: .unexpectedResult, message: "column \(name) is NULL or not readable")
        }
        return value
    }
}
