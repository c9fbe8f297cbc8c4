import Foundation
import Testing

@testable import Celeriac

@Suite struct CanvasTests {
    let app: CeleriacApp = {
        let app = CeleriacApp("canvas", database: "postgres://localhost/unused")
        app.conf.taskRoutes = ["mail.*": "emails"]
        return app
    }()

    @Test func chainCarriesTheRestInTheFirstRow() throws {
        let add = app.task("tasks.add") { (x: Int, y: Int) -> Int in x + y }
        let send = app.task("mail.send") { (to: String) -> Bool in !to.isEmpty }
        let chain = add.s(100, 200) | add.s(300) | send.si("a@b.c")
        #expect(chain.steps.map(\.task) == ["tasks.add", "tasks.add", "mail.send"])
        let (first, lastID) = try chain.firstMessage()
        #expect(first.name == "tasks.add")
        #expect(first.args == "[100,200]")
        #expect(first.rootID == first.id)
        let steps = try #require(try JSONSerialization.jsonObject(with: Data((first.chain ?? "").utf8)) as? [[String: Any]])
        #expect(steps.count == 2)
        #expect(steps[0]["task"] as? String == "tasks.add")
        #expect(steps[0]["args"] as? [Int] == [300])
        #expect(steps[0]["immutable"] as? Bool == false)
        #expect(steps[0]["queue"] as? String == "celery")
        #expect(steps[1]["task"] as? String == "mail.send")
        #expect(steps[1]["queue"] as? String == "emails")
        #expect(steps[1]["immutable"] as? Bool == true)
        #expect(steps[1]["id"] as? String == lastID.celeryString)
        #expect(first.id != lastID)
    }

    @Test func singleSignatureHasNoChain() throws {
        let add = app.task("tasks.add") { (x: Int, y: Int) -> Int in x + y }
        let (first, lastID) = try Chain<Int>(app: app, steps: [add.s(1, 2).step]).firstMessage()
        #expect(first.chain == nil)
        #expect(first.id == lastID)
    }
}
