import SQLCatalogue
import Testing

@Suite struct LexerTests {
    @Test func splitsOnlyAtCodeQualifiers() {
        let text = """
            SELECT celeriac.a, 'celeriac.x', "celeriac".x, xceleriac.y, $$ celeriac.t $$, $f$ celeriac.u $ff$ $f$ -- celeriac.c
            /* celeriac.b /* nested */ celeriac.d */ FROM celeriac.tasks WHERE x = $1 AND celeriac.f($2)
            """
        let parts = SQLLexer.splitAtQualifier(text)
        #expect(
            parts == [
                "SELECT ",
                #"a, 'celeriac.x', "celeriac".x, xceleriac.y, $$ celeriac.t $$, $f$ celeriac.u $ff$ $f$ -- celeriac.c"#
                    + "\n/* celeriac.b /* nested */ celeriac.d */ FROM ",
                "tasks WHERE x = $1 AND ",
                "f($2)",
            ])
        #expect(parts.joined(separator: "celeriac.") == text)
        #expect(parts.joined(separator: "other.").contains("FROM other.tasks WHERE x = $1 AND other.f($2)"))
    }

    @Test func handlesEscapesAndPlaceholders() {
        #expect(SQLLexer.splitAtQualifier("'it''s celeriac.x' celeriac.y") == ["'it''s celeriac.x' ", "y"])
        #expect(SQLLexer.splitAtQualifier(#"E'a\' celeriac.x' celeriac.y"#) == [#"E'a\' celeriac.x' "#, "y"])
        #expect(SQLLexer.splitAtQualifier("SELECT $1, celeriac.t($2)") == ["SELECT $1, ", "t($2)"])
        #expect(SQLLexer.splitAtQualifier("\"a\"\"celeriac.b\" celeriac.c") == ["\"a\"\"celeriac.b\" ", "c"])
        #expect(SQLLexer.splitAtQualifier("no qualifier") == ["no qualifier"])
        #expect(SQLLexer.splitAtQualifier("celeriac.x") == ["", "x"])
        #expect(SQLLexer.splitAtQualifier("'unterminated celeriac.x") == ["'unterminated celeriac.x"])
    }

    @Test func findsPlaceholdersInCodeOnly() {
        let text = "SELECT $1, '$2', $3 -- $4\n /* $5 */ $$ $6 $$, \"$8\", $10, a$7, $tag$ $9 $tag$"
        #expect(SQLLexer.placeholders(in: text).map(\.number) == [1, 3, 10])
        let offsets = SQLLexer.placeholders(in: "x = $1").map(\.offset)
        #expect(offsets == [4])
    }

    @Test func splitsAtTopLevelCommas() {
        let pieces = SQLLexer.splitTopLevel("a, f(b, c), 'x,y', d[1,2], \"p,q\"")
        #expect(pieces == ["a", " f(b, c)", " 'x,y'", " d[1,2]", " \"p,q\""])
    }

    @Test func collapsesWhitespaceOutsideLiterals() {
        #expect(SQLLexer.collapseWhitespace("  coalesce(i.eta,\n   now())  + 'a  b' ") == "coalesce(i.eta, now()) + 'a  b'")
    }
}
