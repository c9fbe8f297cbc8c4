import Celeriac
import CeleriacPostgres
import Foundation
import Hummingbird

/// The seed's "send an email from the web app", done transactionally: `POST /orders` writes
/// the order and takes it from stock, and enqueues `shop.send_confirmation`, all in one
/// transaction. Out of stock, the transaction rolls back: no order, and no confirmation
/// sent for an order that does not exist.
public struct Shop: Sendable {
    /// What `POST /orders` takes.
    public struct OrderRequest: Codable, Sendable {
        public var email: String
        public var item: String
        public var quantity: Int

        public init(email: String, item: String, quantity: Int) {
            self.email = email
            self.item = item
            self.quantity = quantity
        }
    }

    /// What `POST /orders` answers (201).
    public struct OrderCreated: Codable, Sendable, ResponseEncodable {
        public var orderID: Int
        public var taskID: String
    }

    public let app: CeleriacApp
    /// The confirmation task: in a real shop it would send the email.
    public let sendConfirmation: TaskDefinition<Int, String>

    /// Registers the shop's task on `app`.
    public init(app: CeleriacApp) {
        self.app = app
        let schema = app.conf.schema
        sendConfirmation = app.task("shop.send_confirmation") { (orderID: Int) async throws -> String in
            let rows = try await app.pool.run { connection in
                try connection.execute("SELECT email FROM \(schema).shop_orders WHERE id = $1", [String(orderID)])
            }
            guard let email = rows.scalar else { throw ShopError("order \(orderID) does not exist") }
            return "confirmation of order \(orderID) sent to \(email)"
        }
    }

    /// Creates the shop's own tables (beside Celeriac's, in the app's schema) and stocks them.
    public func createTables() async throws {
        let schema = app.conf.schema
        try await app.pool.run { connection in
            try connection.execute(
                "CREATE TABLE IF NOT EXISTS \(schema).shop_stock (item text PRIMARY KEY, available int NOT NULL CHECK (available >= 0))"
            )
            try connection.execute(
                """
                CREATE TABLE IF NOT EXISTS \(schema).shop_orders (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text NOT NULL, item text NOT NULL,
                    quantity int NOT NULL, created_at timestamptz NOT NULL DEFAULT now())
                """)
            try connection.execute(
                "INSERT INTO \(schema).shop_stock VALUES ('celeriac', 10), ('parsnip', 3) ON CONFLICT DO NOTHING")
        }
    }

    /// The web routes: `POST /orders`.
    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.post("/orders") { request, context -> Response in
            let order = try await request.decode(as: OrderRequest.self, context: context)
            guard order.quantity > 0, order.email.contains("@") else {
                throw HTTPError(.badRequest, message: "an order needs an email and a quantity above 0")
            }
            do {
                let created = try await place(order)
                return try created.response(from: request, context: context).with(status: .created)
            } catch let error as ShopError {
                throw HTTPError(.conflict, message: error.description)
            }
        }
        return router
    }

    /// Writes the order and enqueues its confirmation in one transaction.
    public func place(_ order: OrderRequest) async throws -> OrderCreated {
        let schema = app.conf.schema
        let send = sendConfirmation
        return try await app.transaction { tx in
            let inserted = try tx.execute(
                "INSERT INTO \(schema).shop_orders (email, item, quantity) VALUES ($1, $2, $3) RETURNING id",
                [order.email, order.item, order.quantity])
            guard let text = inserted.scalar, let orderID = Int(text) else { throw ShopError("the order was not written") }
            let task = try tx.enqueue(send.message(orderID))
            // Taken from stock last: when it fails, the order and the task go with the rollback.
            let taken = try tx.execute(
                "UPDATE \(schema).shop_stock SET available = available - $2 WHERE item = $1 AND available >= $2",
                [order.item, order.quantity])
            guard taken.affectedRows == 1 else { throw ShopError("not enough \(order.item) in stock") }
            return OrderCreated(orderID: orderID, taskID: task.id.celeryString)
        }
    }
}

/// Why an order was refused.
public struct ShopError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

extension Response {
    func with(status: HTTPResponse.Status) -> Response {
        var response = self
        response.status = status
        return response
    }
}
