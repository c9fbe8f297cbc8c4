// The README's other Swift blocks, verbatim, in the context they assume (an app with an
// `add` task): the build compiles them, and ReadmeTests checks they still match the README.
import Celeriac
import CeleriacCLI
import Foundation
import Logging
import ServiceLifecycle
import Tracing

let app = CeleriacApp("readme")
let add = app.task("tasks.add") { (x: Int, y: Int) async throws -> Int in x + y }

/// Never called: these blocks only need to compile.
func readmeSnippets() async throws {
    // README block
    do {
        let sendReceipt = app.task("mail.receipt") { (accountID: String) async throws -> Bool in true }
        let accountID = "42"  // parameters go to PostgreSQL as text, or nil for NULL
        try await app.transaction { tx in
            try tx.execute("UPDATE accounts SET paid = true WHERE id = $1", [accountID])
            try tx.enqueue(sendReceipt.message(accountID))  // exists only if this commits
        }
    }
    // README block
    do {
        try await withSpan("POST /orders") { _ in
            _ = try await add.delay(2, 3)  // the row carries this span's trace context
        }
    }
    // README block
    do {
        app.conf.beatSchedule = [
            try add.periodic("add-every-5-minutes", .crontab("*/5 * * * *"), 16, 16),
            try add.periodic("add-daily-at-3am", .crontab("0 3 * * *", timeZone: "Europe/Moscow"), 3, 0),
            PeriodicTask(name: "ping", task: "tasks.ping", timing: .every(.seconds(30)), misfirePolicy: .skip),
        ]
    }
    // README block
    do {
        let callAPI = app.task(
            "crm.sync", options: TaskOptions(rateLimit: try RateLimit("10/m"), concurrencyLimit: try ConcurrencyLimit(2, per: .argument(0)))
        ) { (customerID: Int) async throws -> Bool in true }
        _ = callAPI
    }
    // README block
    do {
        app.hooks.taskFailure { event in
            print("report:", event.taskName ?? "?", event.taskID?.celeryString ?? "", event.error?.message ?? "")
        }
        app.hooks.workerReady { event in print("worker", event.worker, "is ready") }
        app.hooks.beforePublish { message in message.priority = max(message.priority, 1) }
    }
    // README block
    do {
        let worker = Worker(app: app, observers: [CeleriacMetrics()])
        let services = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: WorkerService(worker))], gracefulShutdownSignals: [.sigterm],
                logger: Logger(label: "app")))
        try await services.run()
    }
}

if CommandLine.arguments.count > 99 { try await readmeSnippets() }
