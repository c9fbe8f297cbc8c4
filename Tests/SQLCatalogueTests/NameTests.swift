import SQLCatalogue
import Testing

@Suite struct NameTests {
    @Test func convertsSnakeCase() {
        #expect(SwiftName.upperCamel("periodic_tasks") == "PeriodicTasks")
        #expect(SwiftName.upperCamel("insert_one_simple") == "InsertOneSimple")
        #expect(SwiftName.upperCamel("claim") == "Claim")
        #expect(SwiftName.lowerCamel("lease_seconds") == "leaseSeconds")
        #expect(SwiftName.lowerCamel("id") == "id")
        #expect(SwiftName.lowerCamel("root_id_2") == "rootId2")
    }

    @Test func escapesKeywords() {
        #expect(SwiftName.property("default") == "`default`")
        #expect(SwiftName.property("in") == "`in`")
        #expect(SwiftName.property("repeat") == "`repeat`")
        #expect(SwiftName.property("where") == "`where`")
        #expect(SwiftName.property("queue") == "queue")
    }

    @Test func validatesSnakeNames() {
        #expect(SwiftName.isSnakeName("insert_row"))
        #expect(SwiftName.isSnakeName("a1"))
        #expect(!SwiftName.isSnakeName("Insert"))
        #expect(!SwiftName.isSnakeName("1a"))
        #expect(!SwiftName.isSnakeName("a-b"))
        #expect(!SwiftName.isSnakeName(""))
    }

    @Test func mapsTypes() throws {
        let type = try #require(SQLType(parsing: "text[]?"))
        #expect(type.swiftType == "[String]?")
        #expect(type.encoder == "SQLEncode.textArray")
        #expect(type.decoder == "SQLDecode.textArrayOrNil")
        #expect(SQLType(parsing: "float8")?.swiftType == "Double")
        #expect(SQLType(parsing: "json")?.swiftType == "String")
        #expect(SQLType(parsing: "array")?.swiftType == "SQLArray")
        #expect(SQLType(parsing: "uuid")?.decoder == "SQLDecode.uuid")
        #expect(SQLType(parsing: "integer") == nil)
    }
}
