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
}
