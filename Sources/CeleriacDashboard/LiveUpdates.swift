import Celeriac
import Foundation
import Hummingbird

/// Server-sent events for the pages: `/events/stream` forwards the event log as it is
/// announced on the events topic (`CeleriacApp.eventStream()`), so a page refreshes its
/// content when something happens instead of reloading on a timer. Every open page shares one
/// upstream (``EventBroadcast``): one LISTEN session however many browsers follow.
enum LiveUpdates {
    /// How often a comment line keeps an idle stream open through proxies.
    static let keepAlive: Duration = .seconds(15)

    /// The broadcast of `app`'s events as SSE lines.
    static func broadcast(app: CeleriacApp) -> EventBroadcast {
        EventBroadcast {
            let events = app.eventStream()
            return AsyncThrowingStream { continuation in
                let forward = Task {
                    do {
                        for try await event in events {
                            continuation.yield("event: \(event.celeryKind)\ndata: \(event.json.description)\n\n")
                        }
                        continuation.finish()
                    } catch {
                        continuation.finish(throwing: error)
                    }
                }
                continuation.onTermination = { _ in forward.cancel() }
            }
        }
    }

    static func stream(from broadcast: EventBroadcast) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-store"
        let body = ResponseBody { writer in
            try await writer.write(ByteBuffer(string: "retry: 5000\n\n"))
            let (id, lines) = await broadcast.subscribe()
            do {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    let (merged, sink) = AsyncStream.makeStream(of: String.self)
                    group.addTask {
                        for await line in lines { sink.yield(line) }
                        sink.finish()
                    }
                    group.addTask {
                        while !Task.isCancelled {
                            try await Task.sleep(for: keepAlive)
                            sink.yield(": keep-alive\n\n")
                        }
                    }
                    for await line in merged { try await writer.write(ByteBuffer(string: line)) }
                    group.cancelAll()
                }
            } catch {
                await broadcast.unsubscribe(id)
                throw error
            }
            await broadcast.unsubscribe(id)
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }
}

/// The one script of the dashboard (`/static/celeriac.js`, loaded from the page, never
/// inline): it follows `/events/stream` and, at most once a second, fetches the page again and
/// swaps in its content; without EventSource, or when the stream fails, it does so every 5 s.
/// Action forms are posted in the background and the content refreshed, without a reload.
/// Pages work without it: the forms then post and the server redirects back.
enum Script {
    static let js = """
        (function () {
          var main = document.querySelector("main");
          if (!main || document.body.dataset.live === "off") return;
          var pending = false, last = 0;
          function refresh() {
            if (pending) return;
            var wait = Math.max(0, 1000 - (Date.now() - last));
            pending = true;
            setTimeout(function () {
              fetch(location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
                .then(function (r) { return r.ok ? r.text() : null; })
                .then(function (html) {
                  pending = false; last = Date.now();
                  if (!html) return;
                  var doc = new DOMParser().parseFromString(html, "text/html");
                  var fresh = doc.querySelector("main");
                  var active = document.activeElement;
                  if (fresh && !(active && main.contains(active) && active.tagName === "INPUT")) {
                    main.replaceWith(fresh); main = fresh;
                  }
                })
                .catch(function () { pending = false; });
            }, wait);
          }
          // Actions are posted in the background, then the content refreshes in place: the page
          // is not reloaded. A response that leads elsewhere (a bulk action) is followed.
          document.addEventListener("submit", function (event) {
            var form = event.target;
            if (!form || (form.method || "").toLowerCase() !== "post") return;
            event.preventDefault();
            fetch(form.action, { method: "POST", credentials: "same-origin", body: new URLSearchParams(new FormData(form)) })
              .then(function (r) {
                if (!r.ok) {
                  return r.text().then(function (text) {
                    var note = document.createElement("p");
                    note.className = "error";
                    note.textContent = "Refused: " + text;
                    main.prepend(note);
                  });
                }
                var target = new URL(r.url);
                if (r.redirected && target.pathname + target.search !== location.pathname + location.search) {
                  location.href = r.url;
                } else {
                  last = 0; refresh();
                }
              });
          });
          var polling = null;
          function poll() { if (!polling) polling = setInterval(refresh, 5000); }
          if (!window.EventSource) { poll(); return; }
          var source = new EventSource("/events/stream");
          source.onmessage = refresh;
          ["task-received", "task-started", "task-succeeded", "task-failed", "task-retried", "task-revoked",
           "task-rejected", "task-lease-lost", "worker-online", "worker-offline", "worker-heartbeat"].forEach(function (kind) {
            source.addEventListener(kind, refresh);
          });
          source.onerror = function () { poll(); };
          source.onopen = function () { if (polling) { clearInterval(polling); polling = null; } };
        })();
        """
}
