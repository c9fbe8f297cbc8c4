import Celeriac
import CeleriacTesting
import Testing

func registerShopTasks(_ app: CeleriacApp) -> TaskDefinition<Int, String> {
    app.task("shop.send_confirmation") { (orderID: Int) async throws -> String in
        "confirmation for order \(orderID)"
    }
}

@Suite struct ShopTaskTests {
    @Test func theTaskItself() async throws {
        let app = CeleriacApp("shop")
        let send = registerShopTasks(app)
        #expect(try await send.apply(42) == "confirmation for order 42")  // no database, no worker
    }

    @Test func eagerly() async throws {
        let app = CeleriacApp("shop")
        app.conf.taskAlwaysEager = true
        let send = registerShopTasks(app)
        let result = try await send.delay(42)  // ran already, in this process
        #expect(try await result.get() == "confirmation for order 42")
    }

    @Test(.enabled(if: TestDatabase.url != nil)) func throughTheDatabase() async throws {
        try await TestDatabase.with { app in  // a new schema, dropped afterwards
            let send = registerShopTasks(app)
            let recorder = TaskRecorder(app: app)
            let result = try await send.delay(42)
            #expect(try recorder.wasEnqueued(send, 42))
            #expect(try await app.runQueuedTasks() == 1)  // a real worker, inside the test
            #expect(try await result.get() == "confirmation for order 42")
        }
    }
}
