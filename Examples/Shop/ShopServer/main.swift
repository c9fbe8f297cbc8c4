// The shop's web server and a Celeriac worker in one ServiceGroup: `swift run shop-server`,
// then `curl -X POST localhost:8080/orders -d '{"email":"a@example.com","item":"celeriac","quantity":1}'`.
// SIGTERM or Ctrl-C stops both gracefully: the server stops taking requests, the worker
// finishes its running tasks and gives the waiting ones back.
import Celeriac
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import ShopExample

LoggingSystem.bootstrap { label in StreamLogHandler.standardError(label: label) }
let app = CeleriacApp("shop")
let shop = Shop(app: app)
try await app.migrate()
try await shop.createTables()
let port = Int(ProcessInfo.processInfo.environment["SHOP_PORT"] ?? "") ?? 8080
let web = Application(router: shop.router(), configuration: .init(address: .hostname("127.0.0.1", port: port)))
let worker = Worker(app: app)
let services = ServiceGroup(
    configuration: ServiceGroupConfiguration(
        services: [.init(service: web), .init(service: WorkerService(worker))],
        gracefulShutdownSignals: [.sigterm, .sigint],
        logger: Logger(label: "shop")))
try await services.run()
