import ArgumentParser
import Celeriac
import Foundation

/// `celeriac queues`: depth by state of every queue with work, and whether it is paused.
struct QueuesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queues",
        abstract: "Show each queue's depth by state, oldest wait, pause, live workers and recent throughput (the queues view)."
    )

    @OptionGroup var common: CommonOptions

    @Flag(help: "Print JSON.")
    var json = false

    func run() async throws {
        let app = try common.makeApp()
        defer { app.shutdown() }
        let queues = try await app.queues()
        if json {
            let rows = queues.map { depth -> JSONValue in
                .object([
                    "queue": .string(depth.queue), "queued": .number(Double(depth.queued)),
                    "scheduled": .number(Double(depth.scheduled)), "retry": .number(Double(depth.retry)),
                    "started": .number(Double(depth.started)), "oldest_seconds": depth.oldestSeconds.map(JSONValue.number) ?? .null,
                    "paused": .bool(depth.paused), "workers": .number(Double(depth.workers)),
                    "processed_1m": .number(Double(depth.processed1m)), "processed_5m": .number(Double(depth.processed5m)),
                    "processed_15m": .number(Double(depth.processed15m)), "failed_15m": .number(Double(depth.failed15m)),
                ])
            }
            print(JSONValue.array(rows).description)
            return
        }
        let width = max(5, queues.map(\.queue.count).max() ?? 0)
        func cell(_ text: String, _ width: Int) -> String { text.padding(toLength: width, withPad: " ", startingAt: 0) }
        print(cell("queue", width + 2) + "queued  scheduled  retry  started  oldest   paused  workers  done 1m/5m/15m  failed 15m")
        for depth in queues {
            let oldest = depth.oldestSeconds.map { String(format: "%.1fs", $0) } ?? "-"
            print(
                cell(depth.queue, width + 2) + cell(String(depth.queued), 8) + cell(String(depth.scheduled), 11)
                    + cell(String(depth.retry), 7) + cell(String(depth.started), 9) + cell(oldest, 9)
                    + cell(depth.paused ? "yes" : "no", 8) + cell(String(depth.workers), 9)
                    + cell("\(depth.processed1m)/\(depth.processed5m)/\(depth.processed15m)", 16) + String(depth.failed15m))
        }
    }
}

/// `celeriac queue pause|resume NAME`.
struct QueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue",
        abstract: "Pause or resume a queue.",
        subcommands: [Pause.self, Resume.self]
    )

    struct Pause: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Workers take nothing from the queue until it is resumed.")
        @OptionGroup var common: CommonOptions
        @Argument(help: "The queue.") var name: String
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let app = try common.makeApp()
            defer { app.shutdown() }
            let changed: Bool
            do { changed = try await app.pauseQueue(name) } catch let error as EnqueueError { throw ValidationError(error.message) }
            if json {
                print(JSONValue.object(["queue": .string(name), "paused": .bool(true), "changed": .bool(changed)]).description)
            } else {
                print(changed ? "Paused queue \(name)." : "Queue \(name) was already paused.")
            }
        }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Workers take from the queue again.")
        @OptionGroup var common: CommonOptions
        @Argument(help: "The queue.") var name: String
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let app = try common.makeApp()
            defer { app.shutdown() }
            let changed = try await app.resumeQueue(name)
            if json {
                print(JSONValue.object(["queue": .string(name), "paused": .bool(false), "changed": .bool(changed)]).description)
            } else {
                print(changed ? "Resumed queue \(name)." : "Queue \(name) was not paused.")
            }
        }
    }
}
