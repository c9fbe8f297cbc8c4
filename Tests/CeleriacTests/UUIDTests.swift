import Foundation
import Testing

@testable import Celeriac

/// Task ids: time-ordered version 7 UUIDs in Celery's lower-case text form.
@Suite struct UUIDTests {
    @Test func uuidV7IsTimeOrderedWithVersionBits() {
        let a = UUID.v7(now: Date(timeIntervalSince1970: 1_000))
        let b = UUID.v7(now: Date(timeIntervalSince1970: 1_001))
        #expect(a.celeryString < b.celeryString)
        let text = a.celeryString
        #expect(text[text.index(text.startIndex, offsetBy: 14)] == "7")
        #expect("89ab".contains(text[text.index(text.startIndex, offsetBy: 19)]))
    }

    @Test func uuidTextIsTheLowerCaseStandardFormAndIdsDoNotRepeat() {
        let ids = (0..<10_000).map { _ in UUID.v7() }
        for id in ids.prefix(100) {
            #expect(id.celeryString == id.uuidString.lowercased())
            #expect(UUID(uuidString: id.celeryString) == id)
        }
        #expect(Set(ids).count == ids.count)
        // The random part differs even within one millisecond.
        let sameTime = Date(timeIntervalSince1970: 2_000)
        #expect(UUID.v7(now: sameTime) != UUID.v7(now: sameTime))
    }

    @Test func aResultPrintsItsIdInLowerCase() {
        let app = CeleriacApp("ids", database: "postgres://localhost/unused", environment: [:])
        let id = UUID.v7()
        let result = AsyncResult<Int>(id: id, app: app)
        #expect("\(result)" == id.uuidString.lowercased())
        #expect(result.description == id.celeryString)
    }

    @Test func neighboursAreOneApartInPostgresOrderAndCarry() throws {
        let id = try #require(UUID(uuidString: "01a22b58-347b-7fa7-aad7-29d71e9019ff"))
        #expect(id.successor.celeryString == "01a22b58-347b-7fa7-aad7-29d71e901a00")
        #expect(id.successor.predecessor == id)
        #expect(id.predecessor.celeryString == "01a22b58-347b-7fa7-aad7-29d71e9019fe")
        let zero = try #require(UUID(uuidString: "00000000-0000-0000-0000-000000000000"))
        #expect(zero.predecessor.celeryString == "ffffffff-ffff-ffff-ffff-ffffffffffff")
        #expect(zero.predecessor.successor == zero)
    }

    @Test func aVersion7IdTellsWhenItWasMade() throws {
        let made = Date(timeIntervalSince1970: 1_796_000_000.123)
        let date = try #require(UUID.v7(now: made).uuidV7Date)
        #expect(abs(date.timeIntervalSince(made)) < 0.001)
        #expect(try #require(UUID(uuidString: "6ba7b810-9dad-11d1-80b4-00c04fd430c8")).uuidV7Date == nil)
    }
}
