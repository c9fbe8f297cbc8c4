import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ShopExample
import Testing

@testable import Celeriac

/// The web example: a committed order leads to its confirmation task, a rolled-back one to
/// none, through the real routes and a real worker.
@Suite struct ShopExampleTests {
    static func post(_ client: some TestClientProtocol, _ body: String) async throws -> (HTTPResponse.Status, String) {
        try await client.execute(
            uri: "/orders", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: body)
        ) { response in (response.status, String(buffer: response.body)) }
    }

    @Test func aCommittedOrderIsConfirmedAndARolledBackOneLeavesNothing() async throws {
        try await TestEnvironment.with { env in
            let shop = Shop(app: env.app)
            try await shop.createTables()
            try await Application(router: shop.router()).test(.router) { client in
                let (status, body) = try await Self.post(client, #"{"email":"a@example.com","item":"parsnip","quantity":2}"#)
                #expect(status == .created)
                let created = try JSONDecoder().decode(Shop.OrderCreated.self, from: Data(body.utf8))

                // Only one parsnip is left: the order is refused, and its transaction (order and task) rolled back.
                let (refused, message) = try await Self.post(client, #"{"email":"b@example.com","item":"parsnip","quantity":2}"#)
                #expect(refused == .conflict)
                #expect(message.contains("not enough parsnip"))
                let (bad, _) = try await Self.post(client, #"{"email":"nobody","item":"parsnip","quantity":1}"#)
                #expect(bad == .badRequest)

                #expect(try await env.count("SELECT count(*) FROM \(env.schema).shop_orders") == 1)
                #expect(try await env.count("SELECT count(*) FROM \(env.schema).tasks") == 1)
                let worker = env.startWorker()
                let result = AsyncResult<String>(id: try #require(UUID(uuidString: created.taskID)), app: env.app)
                #expect(try await result.get(timeout: .seconds(10)) == "confirmation of order \(created.orderID) sent to a@example.com")
                try await worker.stop()
                #expect(try await env.count("SELECT count(*) FROM \(env.schema).results") == 1)
                #expect(try await env.count("SELECT available FROM \(env.schema).shop_stock WHERE item = 'parsnip'") == 1)
            }
        }
    }
}
