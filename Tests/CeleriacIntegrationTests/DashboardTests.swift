import Celeriac
import CeleriacDashboard
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// The dashboard's routes through Hummingbird's router tester: status, content, auth, headers,
/// escaping of task data, and the refusal to bind a non-loopback address without auth.
@Suite struct DashboardTests {
    static func get(
        _ client: any TestClientProtocol, _ uri: String, headers: HTTPFields = [:]
    ) async throws -> (HTTPResponse.Status, String, HTTPFields) {
        try await client.execute(uri: uri, method: .get, headers: headers) { response in
            (response.status, String(buffer: response.body), response.headers)
        }
    }

    static func application(_ dashboard: Dashboard) -> some ApplicationProtocol {
        Application(router: dashboard.router())
    }

    @Test func everyPageAndAPIRouteAnswers() async throws {
        try await TestEnvironment.with({ $0.workerSendTaskEvents = true }) { env in
            let add = env.app.task("tasks.add") { (x: Int, y: Int) async throws -> Int in x + y }
            let worker = env.startWorker()
            let sum = try await add.delay(2, 3)
            #expect(try await sum.get(timeout: .seconds(10)) == 5)
            try await env.eventually("the counters are written") { try await env.app.workerStatus().first?.succeeded == 1 }
            let dashboard = try Dashboard(app: env.app, settings: DashboardSettings())
            try await Self.application(dashboard).test(.router) { client in
                for uri in ["/", "/tasks", "/tasks?state=succeeded&name=tasks.add", "/queues", "/workers", "/periodic", "/task/\(sum)"] {
                    let (status, body, headers) = try await Self.get(client, uri)
                    #expect(status == .ok, "\(uri)")
                    #expect(body.hasPrefix("<!doctype html>"), "\(uri)")
                    #expect(headers[.contentSecurityPolicy]?.contains("script-src 'self'") == true)
                    #expect(headers[.contentSecurityPolicy]?.contains("frame-ancestors 'none'") == true)
                    #expect(headers[.xContentTypeOptions] == "nosniff")
                }
                let (_, home, _) = try await Self.get(client, "/")
                #expect(home.contains("<svg class=\"chart\""))
                // Each queue has its own chart: the task finished on celery draws a bar there.
                let (_, queues, _) = try await Self.get(client, "/queues")
                let celeryChart = try #require(queues.components(separatedBy: "<figcaption>celery</figcaption>").last)
                #expect(celeryChart.hasPrefix("<svg class=\"chart\"") && celeryChart.contains("<rect class=\"ok\""))
                #expect(home.contains("online"))
                let (_, list, _) = try await Self.get(client, "/tasks?state=succeeded")
                #expect(list.contains("/task/\(sum)"))
                let (_, failedOnly, _) = try await Self.get(client, "/tasks?state=failed")
                #expect(!failedOnly.contains("/task/\(sum)"))
                let (_, page, _) = try await Self.get(client, "/task/\(sum)")
                #expect(page.contains("SUCCESS") && page.contains("task-succeeded") && page.contains("[2, 3]"))
                let (missing, _, _) = try await Self.get(client, "/task/\(UUID.v7().celeryString)")
                #expect(missing == .notFound)

                // Live updates: one script, from the server, following the event stream.
                #expect(home.contains("<script src=\"/static/celeriac.js\" defer></script>"))
                let (scriptStatus, script, scriptHeaders) = try await Self.get(client, "/static/celeriac.js")
                #expect(scriptStatus == .ok && scriptHeaders[.contentType]?.hasPrefix("text/javascript") == true)
                #expect(script.contains("new EventSource(\"/events/stream\")") && script.contains("setInterval(refresh, 5000)"))
                let (metricsStatus, metrics, _) = try await Self.get(client, "/metrics")
                #expect(metricsStatus == .ok)
                #expect(metrics.contains("celeriac_workers{status=\"online\"} 1"), "\(metrics)")
                #expect(metrics.contains("celeriac_queue_tasks{queue=\"celery\",state=\"waiting\"} 0"))
                #expect(metrics.contains("celeriac_task_runtime_quantile_seconds{name=\"tasks.add\",quantile=\"0.5\"}"))
                #expect(metrics.contains("celeriac_tasks_total{name=\"tasks.add\",state=\"succeeded\"} 1\n"), "\(metrics)")
                #expect(metrics.contains("# TYPE celeriac_task_runtime_seconds histogram"))
                #expect(metrics.contains("celeriac_task_runtime_seconds_bucket{name=\"tasks.add\",le=\"+Inf\"} 1\n"))
                #expect(metrics.contains("celeriac_task_runtime_seconds_count{name=\"tasks.add\"} 1\n"))
                #expect(metrics.contains("celeriac_task_wait_seconds_count{name=\"tasks.add\"} 1\n"))
                // Counters only grow: a second scrape counts the same task once.
                let (_, again, _) = try await Self.get(client, "/metrics")
                #expect(again.contains("celeriac_tasks_total{name=\"tasks.add\",state=\"succeeded\"} 1\n"))
                let (_, health, _) = try await Self.get(client, "/healthcheck")
                #expect(health == "OK\n")
                let (_, workers, _) = try await Self.get(client, "/api/workers")
                #expect(workers.contains("\"processed\":1") || workers.contains("\"processed\":0"))
                let (_, lengths, _) = try await Self.get(client, "/api/queues/length")
                #expect(lengths.contains("\"active_queues\""))
                let (_, info, _) = try await Self.get(client, "/api/task/info/\(sum)")
                #expect(info.contains("\"state\":\"SUCCESS\"") && info.contains("\"name\":\"tasks.add\""))
                let (_, result, _) = try await Self.get(client, "/api/task/result/\(sum)")
                #expect(result.contains("\"result\":5"))
            }
            try await worker.stop()
        }
    }

    @Test func authenticationIsRequiredWhenConfigured() async throws {
        try await TestEnvironment.with { env in
            let basic = try Dashboard(app: env.app, settings: DashboardSettings(auth: .basic(user: "ops", password: "s3cret!")))
            try await Self.application(basic).test(.router) { client in
                #expect(try await Self.get(client, "/").0 == .unauthorized)
                let wrong = Data("ops:nope".utf8).base64EncodedString()
                #expect(try await Self.get(client, "/", headers: [.authorization: "Basic \(wrong)"]).0 == .unauthorized)
                let right = Data("ops:s3cret!".utf8).base64EncodedString()
                #expect(try await Self.get(client, "/", headers: [.authorization: "Basic \(right)"]).0 == .ok)
                #expect(try await Self.get(client, "/api/workers", headers: [.authorization: "Basic \(right)"]).0 == .ok)
                // The health check is for load balancers: no credentials.
                #expect(try await Self.get(client, "/healthcheck").0 == .ok)
                let (_, _, headers) = try await Self.get(client, "/")
                #expect(headers[.wwwAuthenticate]?.hasPrefix("Basic") == true)
            }
            let token = String(repeating: "t", count: 32)
            let bearer = try Dashboard(app: env.app, settings: DashboardSettings(auth: .bearer(token: token)))
            try await Self.application(bearer).test(.router) { client in
                let missing = try await Self.get(client, "/api/workers").0
                let wrong = try await Self.get(client, "/api/workers", headers: [.authorization: "Bearer wrong"]).0
                let right = try await Self.get(client, "/api/workers", headers: [.authorization: "Bearer \(token)"]).0
                #expect(missing == .unauthorized && wrong == .unauthorized && right == .ok)
            }
        }
    }

    @Test func aNonLoopbackAddressNeedsAuthentication() throws {
        #expect(throws: ConfigurationError.self) { try DashboardSettings(host: "0.0.0.0").validate() }
        #expect(throws: ConfigurationError.self) { try DashboardSettings(host: "192.168.1.5").validate() }
        try DashboardSettings(host: "0.0.0.0", auth: .basic(user: "ops", password: "pw")).validate()
        try DashboardSettings(host: "127.0.0.1").validate()
        #expect(throws: ConfigurationError.self) { try DashboardSettings(auth: .bearer(token: "short")).validate() }
        // Secrets come from the environment or a file, never the command line.
        #expect(
            try DashboardSettings.auth(environment: ["CELERIAC_DASHBOARD_AUTH": "ops:pw"], file: nil) == .basic(user: "ops", password: "pw")
        )
        let file = FileManager.default.temporaryDirectory.appending(path: "dashboard-auth-\(UUID().uuidString)")
        try "token:abcdefghijklmnopqrstuvwxyz\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        #expect(try DashboardSettings.auth(environment: [:], file: file.path) == .bearer(token: "abcdefghijklmnopqrstuvwxyz"))
    }

    @Test func taskDataIsEscapedAndHugeValuesAreCut() async throws {
        try await TestEnvironment.with { env in
            let hostile = [
                "<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "javascript:alert(1)",
            ]
            let echo = env.app.task("tasks.echo") { (a: String, b: String, c: String, d: String) async throws -> String in
                "<script>alert(2)</script>" + a.prefix(10)
            }
            let fail = env.app.task("tasks.fail") { (a: String) async throws -> Int in
                throw Boom(message: "<script>alert(3)</script>\"><img src=x onerror=alert(4)>")
            }
            let huge = String(repeating: "A", count: 1_000_000)
            let worker = env.startWorker()
            let echoed = try await echo.delay(hostile[0], hostile[1], hostile[2], huge)
            let failed = try await fail.delay(hostile[1])
            _ = try await echoed.get(timeout: .seconds(10))
            await #expect(throws: TaskFailedError.self) { try await failed.get(timeout: .seconds(10)) }
            try await worker.stop()
            let dashboard = try Dashboard(app: env.app, settings: DashboardSettings())
            try await Self.application(dashboard).test(.router) { client in
                let (_, list, _) = try await Self.get(client, "/tasks")
                let (_, page, _) = try await Self.get(client, "/task/\(echoed)")
                let (_, failure, _) = try await Self.get(client, "/task/\(failed)")
                for body in [list, page, failure] {
                    #expect(!body.contains("<script>"))
                    #expect(!body.contains("<img"))
                }
                #expect(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
                #expect(page.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"))
                #expect(failure.contains("&lt;script&gt;alert(3)&lt;/script&gt;"))
                // A 1 MB argument is cut in the list; the page has it whole.
                #expect(list.utf8.count < 100_000)
                #expect(page.utf8.count > 1_000_000)
                // No link is made of task data.
                #expect(!list.contains("href=\"javascript:"))
            }
        }
    }

    static func post(
        _ client: any TestClientProtocol, _ uri: String, form: String, headers: HTTPFields = [:]
    ) async throws -> (HTTPResponse.Status, String) {
        var headers = headers
        headers[.contentType] = "application/x-www-form-urlencoded"
        return try await client.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: form)) { response in
            (response.status, response.headers[.location] ?? String(buffer: response.body))
        }
    }

    /// The CSRF token a page's forms carry.
    static func csrf(in page: String) -> String? {
        guard let range = page.range(of: "name=\"csrf\" value=\"") else { return nil }
        return String(page[range.upperBound...].prefix { $0 != "\"" })
    }

    @Test func actionsNeedTheCSRFTokenAreAuditedAndRefusedWhenReadOnly() async throws {
        try await TestEnvironment.with { env in
            let add = env.app.task("tasks.add") { (x: Int, y: Int) async throws -> Int in x + y }
            let later = try await add.applyAsync(1, 1, options: CallOptions(countdown: .seconds(600)))
            let credentials = "Basic " + Data("ops:pw".utf8).base64EncodedString()
            let auth: HTTPFields = [.authorization: credentials]
            let dashboard = try Dashboard(app: env.app, settings: DashboardSettings(auth: .basic(user: "ops", password: "pw")))
            try await Self.application(dashboard).test(.router) { client in
                let (_, page, _) = try await Self.get(client, "/task/\(later)", headers: auth)
                let token = try #require(Self.csrf(in: page))
                #expect(page.contains("action=\"/task/\(later)/revoke\""))
                let missing = try await Self.post(client, "/task/\(later)/revoke", form: "", headers: auth)
                let wrong = try await Self.post(client, "/task/\(later)/revoke", form: "csrf=nope", headers: auth)
                var crossSite = auth
                if let name = HTTPField.Name("Sec-Fetch-Site") { crossSite[name] = "cross-site" }
                let foreign = try await Self.post(client, "/task/\(later)/revoke", form: "csrf=\(token)", headers: crossSite)
                let unauthenticated = try await Self.post(client, "/task/\(later)/revoke", form: "csrf=\(token)")
                #expect(missing.0 == .forbidden && wrong.0 == .forbidden && foreign.0 == .forbidden)
                #expect(unauthenticated.0 == .unauthorized)
                #expect(try await later.state == .scheduled)
                let done = try await Self.post(client, "/task/\(later)/revoke", form: "csrf=\(token)", headers: auth)
                #expect(done.0 == .seeOther && done.1 == "/task/\(later)")
                #expect(try await later.state == .revoked)
                let paused = try await Self.post(client, "/queues/celery/pause", form: "csrf=\(token)", headers: auth)
                #expect(paused.0 == .seeOther)
                #expect(try await env.app.queues().first { $0.queue == "celery" }?.paused == true)
                // A purge needs the queue's name typed in.
                let unconfirmed = try await Self.post(client, "/queues/celery/purge", form: "csrf=\(token)", headers: auth)
                #expect(unconfirmed.0 == .badRequest)
                // Periodic tasks: disable, and run now.
                try await env.sql(
                    "INSERT INTO \(env.schema).periodic_tasks (name, task, args, interval_seconds) VALUES ('nightly', 'tasks.add', '[7, 8]', 3600)"
                )
                let (_, periodic, _) = try await Self.get(client, "/periodic", headers: auth)
                #expect(periodic.contains("nightly") && periodic.contains("action=\"/periodic/nightly/disable\""))
                #expect(try await Self.post(client, "/periodic/nightly/disable", form: "csrf=\(token)", headers: auth).0 == .seeOther)
                #expect(try await env.sql("SELECT enabled::text FROM \(env.schema).periodic_tasks") == ["false"])
                #expect(try await Self.post(client, "/periodic/nightly/run", form: "csrf=\(token)", headers: auth).0 == .seeOther)
                #expect(try await env.count("SELECT count(*) FROM \(env.schema).tasks WHERE args = '[7, 8]'") == 1)
                #expect(try await Self.post(client, "/periodic/nope/run", form: "csrf=\(token)", headers: auth).0 == .notFound)
            }
            let actions = try await env.sql("SELECT action FROM \(env.schema).audit_log ORDER BY id")
            // The unconfirmed purge never reached the database; the unknown schedule's run did.
            #expect(actions == ["revoke", "pause_queue", "disable_schedule", "run_schedule_now", "run_schedule_now"])
            let actors = try await env.sql("SELECT DISTINCT actor FROM \(env.schema).audit_log")
            #expect(actors == ["dashboard:ops"])

            let readOnly = try Dashboard(app: env.app, settings: DashboardSettings(readOnly: true))
            try await Self.application(readOnly).test(.router) { client in
                let (_, page, _) = try await Self.get(client, "/queues")
                #expect(!page.contains("<form method=\"post\""))
                #expect(page.contains("read-only"))
                let token = readOnly.csrfTokenForTests
                let refused = try await Self.post(client, "/queues/celery/resume", form: "csrf=\(token)")
                #expect(refused.0 == .forbidden)
            }
            #expect(try await env.app.queues().first { $0.queue == "celery" }?.paused == true)
        }
    }

    /// Flower's POST paths: revoke, async-apply, send-task and worker control; refused
    /// cross-site and in read-only mode.
    @Test func flowersActionPathsWork() async throws {
        try await TestEnvironment.with { env in
            _ = env.app.task("tasks.add") { (x: Int, y: Int) async throws -> Int in x + y }
            let dashboard = try Dashboard(app: env.app, settings: DashboardSettings())
            try await Self.application(dashboard).test(.router) { client in
                let applied = try await client.execute(
                    uri: "/api/task/async-apply/tasks.add", method: .post, headers: [.contentType: "application/json"],
                    body: ByteBuffer(string: #"{"args": [2, 3], "countdown": 600}"#)
                ) { (response: TestResponse) in (response.status, String(buffer: response.body)) }
                #expect(applied.0 == .ok && applied.1.contains("\"state\":\"PENDING\""))
                let id = try #require(try await env.sql("SELECT id::text FROM \(env.schema).tasks").first ?? nil)
                #expect(applied.1.contains(id))
                let sent = try await client.execute(uri: "/api/task/send-task/tasks.other", method: .post) { response in
                    response.status
                }
                #expect(sent == .ok)
                let bad = try await client.execute(
                    uri: "/api/task/async-apply/tasks.add", method: .post, body: ByteBuffer(string: "[1, 2]")
                ) { response in response.status }
                #expect(bad == .badRequest)

                var crossSite: HTTPFields = [:]
                if let name = HTTPField.Name("Sec-Fetch-Site") { crossSite[name] = "cross-site" }
                let refused = try await client.execute(uri: "/api/task/revoke/\(id)", method: .post, headers: crossSite) { response in
                    response.status
                }
                #expect(refused == .forbidden)
                let foreignOrigin = try await client.execute(
                    uri: "/api/task/revoke/\(id)", method: .post, headers: [.origin: "https://evil.example"]
                ) { response in response.status }
                #expect(foreignOrigin == .forbidden)
                let revoked = try await client.execute(uri: "/api/task/revoke/\(id)", method: .post) { response in
                    (response.status, String(buffer: response.body))
                }
                #expect(revoked.0 == .ok && revoked.1.contains("\"outcome\":\"revoked\""))
                let grow = try await client.execute(uri: "/api/worker/pool/grow/celeriac@host?n=2", method: .post) { response in
                    response.status
                }
                #expect(grow == .ok)
                let noQueue = try await client.execute(uri: "/api/worker/queue/add-consumer/celeriac@host", method: .post) {
                    response in response.status
                }
                #expect(noQueue == .badRequest)
            }
            #expect(
                try await env.sql("SELECT command || ' ' || arguments::text FROM \(env.schema).control_messages") == [
                    "pool_grow {\"n\": 2}"
                ])
            let readOnly = try Dashboard(app: env.app, settings: DashboardSettings(readOnly: true))
            try await Self.application(readOnly).test(.router) { client in
                let status = try await client.execute(uri: "/api/task/send-task/tasks.add", method: .post) { $0.status }
                #expect(status == .forbidden)
            }
        }
    }

    /// Text search in args, kwargs and result; a bulk revoke and retry of a filter, confirmed.
    @Test func searchAndBulkActions() async throws {
        try await TestEnvironment.with { env in
            let add = env.app.task("tasks.add") { (x: Int, y: Int) async throws -> Int in x + y }
            let note = env.app.task("tasks.note") { (text: String) async throws -> String in text.uppercased() }
            let later = try await (0..<3).asyncMap { i in try await add.applyAsync(i, 100, options: CallOptions(countdown: .seconds(600))) }
            let other = try await note.applyAsync("needle in a haystack", options: CallOptions(countdown: .seconds(600)))
            let dashboard = try Dashboard(app: env.app, settings: DashboardSettings())
            try await Self.application(dashboard).test(.router) { client in
                let (_, found, _) = try await Self.get(client, "/tasks?search=NEEDLE")
                #expect(found.contains("/task/\(other)") && !found.contains("/task/\(later[0])"))
                // Created in a time range: the ids are time-ordered, the range is one of ids.
                let (_, inRange, _) = try await Self.get(client, "/tasks?since=2000-01-01T00:00&until=2999-01-01T00:00")
                #expect(inRange.contains("/task/\(other)"))
                let (_, outOfRange, _) = try await Self.get(client, "/tasks?until=2000-01-01T00:00")
                #expect(!outOfRange.contains("/task/\(other)"))
                let (_, byWorker, _) = try await Self.get(client, "/tasks?worker=nobody")
                #expect(!byWorker.contains("/task/\(other)"))
                #expect(found.contains("Revoke all matching"))
                let (_, confirm, _) = try await Self.get(client, "/tasks/bulk?action=revoke&name=tasks.add&state=scheduled")
                #expect(confirm.contains("3 task(s) match"))
                let token = try #require(Self.csrf(in: confirm))
                let done = try await Self.post(
                    client, "/tasks/bulk", form: "csrf=\(token)&action=revoke&name=tasks.add&state=scheduled")
                #expect(done.0 == .seeOther && done.1.hasPrefix("/tasks?"))
                for result in later { #expect(try await result.state == .revoked) }
                #expect(try await other.state == .scheduled)
                let retried = try await Self.post(client, "/tasks/bulk", form: "csrf=\(token)&action=retry&name=tasks.add&state=revoked")
                #expect(retried.0 == .seeOther)
                for result in later { #expect(try await result.state == .pending) }
            }
        }
    }

    /// The link of a page's "more" button (its `&amp;` unescaped).
    static func link(_ label: String, in page: String) -> String? {
        guard let end = page.range(of: "\">\(label)</a>") else { return nil }
        guard let start = page[..<end.lowerBound].range(of: "href=\"", options: .backwards) else { return nil }
        return String(page[start.upperBound..<end.lowerBound]).replacingOccurrences(of: "&amp;", with: "&")
    }

    /// Newest or oldest first, keyset pages both ways, and a text search that reads one window
    /// of tasks per page and goes on from where it stopped.
    @Test func orderAndPagingAndSearchWindows() async throws {
        try await TestEnvironment.with { env in
            let note = env.app.task("tasks.note") { (text: String) async throws -> String in text }
            // Ids chosen in order: the needle is the oldest of seven.
            let ids = (0..<7).map { _ in UUID.v7() }.sorted { $0.celeryString < $1.celeryString }
            for (i, id) in ids.enumerated() {
                _ = try await note.applyAsync(
                    i == 0 ? "the NEEDLE" : "hay \(i)", options: CallOptions(countdown: .seconds(600), taskID: id))
            }
            let dashboard = try Dashboard(app: env.app, settings: DashboardSettings(searchWindow: 3))
            try await Self.application(dashboard).test(.router) { client in
                func rows(_ page: String) -> [String] {
                    page.components(separatedBy: "<tr><td><a href=\"/task/").dropFirst().map { String($0.prefix(36)) }
                }
                let (_, newest, _) = try await Self.get(client, "/tasks")
                #expect(rows(newest) == ids.reversed().map(\.celeryString))
                let (_, oldest, _) = try await Self.get(client, "/tasks?order=oldest")
                #expect(rows(oldest) == ids.map(\.celeryString))
                #expect(oldest.contains("<option value=\"oldest\" selected>"))
                let (_, after, _) = try await Self.get(client, "/tasks?order=oldest&after=\(ids[4].celeryString)")
                #expect(rows(after) == [ids[5], ids[6]].map(\.celeryString))

                // Windows of 3: ids 6-4, then 3-1, then 0, where the needle is.
                var (_, page, _) = try await Self.get(client, "/tasks?search=needle")
                var pages = 1
                while rows(page).isEmpty, let next = Self.link("Older tasks", in: page), pages < 5 {
                    #expect(page.contains("reads at most 3 tasks per page"))
                    (_, page, _) = try await Self.get(client, next)
                    pages += 1
                }
                #expect(rows(page) == [ids[0].celeryString] && pages == 3)
                // The same search oldest first finds it in the first window.
                let (_, first, _) = try await Self.get(client, "/tasks?search=needle&order=oldest")
                #expect(rows(first) == [ids[0].celeryString])
                let (_, none, _) = try await Self.get(client, "/tasks?search=nothing-like-this&order=oldest&after=\(ids[3].celeryString)")
                #expect(rows(none).isEmpty && Self.link("Newer tasks", in: none) == nil)
            }
        }
    }

    /// `/api/tasks` with Flower's filters, `/api/task/types`, and the Flower paths Celeriac
    /// does not offer, which say so.
    @Test func flowersTaskListAndTypes() async throws {
        try await TestEnvironment.with { env in
            let add = env.app.task("tasks.add") { (x: Int, y: Int) async throws -> Int in x + y }
            let fail = env.app.task("tasks.fail") { (x: Int) async throws -> Int in throw Boom(message: "bad \(x)") }
            let worker = env.startWorker()
            let sum = try await add.delay(2, 3)
            _ = try await sum.get(timeout: .seconds(10))
            let failed = try await fail.delay(7)
            await #expect(throws: TaskFailedError.self) { try await failed.get(timeout: .seconds(10)) }
            try await worker.stop()
            let later = try await add.applyAsync(1, 1, options: CallOptions(countdown: .seconds(600)))
            let dashboard = try Dashboard(app: env.app, settings: DashboardSettings())
            try await Self.application(dashboard).test(.router) { client in
                func keys(_ body: String) throws -> [String] {
                    // The keys in the order the body gives them.
                    try #require(body.hasPrefix("{"))
                    return body.components(separatedBy: "\"uuid\":\"").dropFirst().map { String($0.prefix(36)) }
                }
                let (status, all, _) = try await Self.get(client, "/api/tasks")
                #expect(status == .ok)
                #expect(try keys(all) == [later, failed, sum].map(\.id.celeryString))
                let (_, oldest, _) = try await Self.get(client, "/api/tasks?sort_by=received&limit=2")
                #expect(try keys(oldest) == [sum, failed].map(\.id.celeryString))
                let (_, skipped, _) = try await Self.get(client, "/api/tasks?offset=1&limit=1")
                #expect(try keys(skipped) == [failed.id.celeryString])
                let (_, failures, _) = try await Self.get(client, "/api/tasks?state=FAILURE")
                #expect(try keys(failures) == [failed.id.celeryString])
                #expect(failures.contains("\"exception\":\"Boom: bad 7\"") && failures.contains("\"state\":\"FAILURE\""))
                let (_, byName, _) = try await Self.get(client, "/api/tasks?taskname=tasks.add&state=SUCCESS")
                #expect(try keys(byName) == [sum.id.celeryString])
                #expect(byName.contains("\"result\":\"5\"") && byName.contains("\"args\":\"[2, 3]\""))
                let (_, byWorker, _) = try await Self.get(client, "/api/tasks?workername=nobody")
                #expect(byWorker == "{}")
                let (_, searched, _) = try await Self.get(client, "/api/tasks?search=bad%207")
                #expect(try keys(searched) == [failed.id.celeryString])
                let (_, inRange, _) = try await Self.get(
                    client, "/api/tasks?received_start=2000-01-01%2000:00&received_end=2999-01-01%2000:00")
                #expect(try keys(inRange).count == 3)
                let (_, outOfRange, _) = try await Self.get(client, "/api/tasks?received_end=2000-01-01%2000:00")
                #expect(outOfRange == "{}")
                for bad in ["state=bogus", "sort_by=runtime", "limit=-1", "received_start=yesterday"] {
                    let (badStatus, message, _) = try await Self.get(client, "/api/tasks?\(bad)")
                    #expect(badStatus == .badRequest && message.contains("error"), "\(bad)")
                }
                let (_, types, _) = try await Self.get(client, "/api/task/types")
                #expect(types == #"{"task-types":["tasks.add","tasks.fail"]}"#)
                for path in ["/api/task/timeout/tasks.add", "/api/task/rate-limit/tasks.add", "/api/worker/pool/autoscale/w"] {
                    let status = try await client.execute(uri: path, method: .post) { $0.status }
                    #expect(status == .notImplemented, "\(path)")
                }
            }
        }
    }

    /// A task page shows its chain, sent steps linked, steps to come named.
    @Test func theTaskPageShowsItsChain() async throws {
        try await TestEnvironment.with { env in
            let add = env.app.task("tasks.add") { (x: Int, y: Int) async throws -> Int in x + y }
            let last = try await (add.s(1, 2) | add.s(3) | add.s(4)).delay()
            let head = try #require(try await env.sql("SELECT id::text FROM \(env.schema).tasks").first ?? nil)
            let dashboard = try Dashboard(app: env.app, settings: DashboardSettings())
            try await Self.application(dashboard).test(.router) { client in
                let (_, before, _) = try await Self.get(client, "/task/\(head)")
                #expect(before.contains("<h2>Chain</h2>"))
                #expect(before.components(separatedBy: "(pending)").count == 3)
                #expect(before.contains("<b><a href=\"/task/\(head)\">tasks.add</a> (queued)</b>"))
            }
            let worker = env.startWorker()
            #expect(try await last.get(timeout: .seconds(10)) == 10)
            try await worker.stop()
            try await Self.application(dashboard).test(.router) { client in
                let (_, after, _) = try await Self.get(client, "/task/\(last)")
                #expect(after.components(separatedBy: "(succeeded)").count == 4)
                #expect(after.contains("href=\"/task/\(head)\""))
                #expect(!after.contains("(pending)"))
            }
            #expect(try await env.app.chain(of: UUID.v7()).isEmpty)
        }
    }
}
