import CeleriacPostgres
import Testing

/// PostgreSQL's array text form, read properly (quotes, escapes, NULL), not by trimming braces.
@Suite struct SQLArrayParserTests {
    @Test func readsPlainQuotedAndNullElements() {
        #expect(SQLArrayParser.elements("{}") == [])
        #expect(SQLArrayParser.elements("{a,b}") == ["a", "b"])
        #expect(SQLArrayParser.elements(#"{"a b","c,d","e\"f","g\\h",NULL,"NULL"}"#) == ["a b", "c,d", "e\"f", "g\\h", nil, "NULL"])
        #expect(SQLArrayParser.elements("[0:1]={x,y}") == ["x", "y"])
    }

    @Test func refusesWhatIsNotAOneDimensionalArray() {
        #expect(SQLArrayParser.elements("a,b") == nil)
        #expect(SQLArrayParser.elements("{{1,2},{3,4}}") == nil)
        #expect(SQLArrayParser.elements(#"{"unterminated}"#) == nil)
    }

    @Test func whatSQLArrayWritesReadsBack() {
        let values: [String?] = ["plain", "with space", #"quote " and \ slash"#, nil, "", "{braces}"]
        #expect(SQLArrayParser.elements(SQLArray(values).literal) == values)
        #expect(SQLArray.column(["a", "a", "a"]) { $0 }.literal == #"{"a"}"#)
        #expect(SQLArray.column(["a", "b"]) { $0 }.literal == #"{"a","b"}"#)
    }
}
