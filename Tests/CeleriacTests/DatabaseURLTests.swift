import CeleriacPostgres
import Testing

@Suite struct DatabaseURLTests {
    @Test func parsesAFullURL() throws {
        let url = try DatabaseURL("postgres://app:s3cret@db.internal:6543/jobs?sslmode=require")
        #expect(url.user == "app")
        #expect(url.host == "db.internal")
        #expect(url.port == 6543)
        #expect(url.database == "jobs")
        #expect(url.hasPassword)
        #expect(url.masked == "postgres://app:**@db.internal:6543/jobs?sslmode=require")
        #expect(!url.masked.contains("s3cret"))
        #expect("\(url)" == url.masked)
    }

    @Test func parsesPostgresqlSchemeIPv6AndPercentEncoding() throws {
        let url = try DatabaseURL("postgresql://us%40er:p%3Ass@[::1]:5432/my%20db")
        #expect(url.user == "us@er")
        #expect(url.host == "::1")
        #expect(url.port == 5432)
        #expect(url.database == "my db")
        #expect(url.masked == "postgresql://us%40er:**@[::1]:5432/my%20db")
    }

    @Test func urlWithoutPasswordIsUnchanged() throws {
        let url = try DatabaseURL("postgres://localhost/celeriac")
        #expect(!url.hasPassword)
        #expect(url.port == nil)
        #expect(url.masked == "postgres://localhost/celeriac")
    }

    @Test func parsesConninfo() throws {
        let url = try DatabaseURL("host=/tmp port=5433 dbname=jobs user=worker password='se cret'")
        #expect(url.host == "/tmp")
        #expect(url.port == 5433)
        #expect(url.database == "jobs")
        #expect(url.user == "worker")
        #expect(url.hasPassword)
        #expect(url.masked == "host=/tmp port=5433 dbname=jobs user=worker password=**")
    }

    @Test func rejectsBadInput() {
        #expect(throws: PostgresError.self) { try DatabaseURL("") }
        #expect(throws: PostgresError.self) { try DatabaseURL("mysql://localhost/db") }
        #expect(throws: PostgresError.self) { try DatabaseURL("postgres://localhost:99999/db") }
        #expect(throws: PostgresError.self) { try DatabaseURL("postgres://localhost:abc/db") }
        #expect(throws: PostgresError.self) { try DatabaseURL("host=localhost port") }
        #expect(throws: PostgresError.self) { try DatabaseURL("host='unterminated") }
    }

    @Test func masksPasswordsInsideArbitraryText() {
        let text = "could not connect to postgres://u:hunter2@h/db (password=hunter2 and PASSWORD = 'a b')"
        let masked = DatabaseURL.mask(text)
        #expect(!masked.contains("hunter2"))
        #expect(!masked.contains("a b"))
        #expect(masked.contains("postgres://u:**@h/db"))
        #expect(DatabaseURL.mask("postgres://h/db?password=x&sslmode=disable") == "postgres://h/db?password=**&sslmode=disable")
    }
}

@Suite struct SQLTextTests {
    @Test func arrayLiteralQuotesAndEscapes() {
        #expect(SQLText.arrayLiteral(["a", nil, "b\"c", "d\\e", "{x,y}"]) == #"{"a",NULL,"b\"c","d\\e","{x,y}"}"#)
        #expect(SQLText.arrayLiteral(strings: [String]()) == "{}")
    }

    @Test func identifiers() {
        #expect(SQLText.isSafeIdentifier("celeriac"))
        #expect(SQLText.isSafeIdentifier("_t1"))
        #expect(!SQLText.isSafeIdentifier("Celeriac"))
        #expect(!SQLText.isSafeIdentifier("1abc"))
        #expect(!SQLText.isSafeIdentifier("a;drop"))
        #expect(!SQLText.isSafeIdentifier(""))
        #expect(!SQLText.isSafeIdentifier(String(repeating: "a", count: 49)))
    }

    @Test func backoffStaysWithinItsBounds() {
        var backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(1))
        let first = backoff.next()
        #expect(first >= .milliseconds(50) && first <= .milliseconds(100))
        for _ in 0..<20 { _ = backoff.next() }
        let late = backoff.next()
        #expect(late >= .milliseconds(500) && late <= .seconds(1))
        backoff.reset()
        #expect(backoff.next() <= .milliseconds(100))
    }
}
