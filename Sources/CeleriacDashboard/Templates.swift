import Mustache

/// The pages' Mustache templates. `{{value}}` is HTML-escaped; `{{{value}}}` (raw) is used
/// only for markup this module built itself (the page body, the SVG chart), never for task
/// data, which comes from users.
enum Templates {
    static let layout = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} · Celeriac</title>
        <link rel="stylesheet" href="/static/celeriac.css">
        <script src="/static/celeriac.js" defer></script>
        </head>
        <body>
        <header>
          <a class="brand" href="/">Celeriac</a>
          <nav><a href="/">Dashboard</a> <a href="/tasks">Tasks</a> <a href="/queues">Queues</a> <a href="/workers">Workers</a> <a href="/periodic">Periodic tasks</a></nav>
          {{#readOnly}}<span class="badge">read-only</span>{{/readOnly}}
        </header>
        <main>
        <h1>{{title}}</h1>
        {{{body}}}
        </main>
        </body>
        </html>
        """

    static let dashboard = """
        <section class="totals">
          <div><b>{{workersOnline}}</b> workers online</div>
          <div><b>{{waiting}}</b> waiting</div>
          <div><b>{{running}}</b> running</div>
          <div><b>{{processed15m}}</b> finished (15 min)</div>
          <div><b>{{failed15m}}</b> failed (15 min)</div>
        </section>
        <h2>Throughput, last hour (tasks per minute)</h2>
        {{{chart}}}
        <h2>Workers</h2>
        <table>
        <thead><tr><th>Worker</th><th>Status</th><th>Active</th><th>Processed</th><th>Succeeded</th><th>Failed</th><th>Retried</th><th>Load</th><th>Heartbeat</th></tr></thead>
        <tbody>
        {{#workers}}<tr><td>{{id}}</td><td class="state-{{status}}">{{status}}</td><td>{{active}}</td><td>{{processed}}</td><td>{{succeeded}}</td><td>{{failed}}</td><td>{{retried}}</td><td>{{load}}</td><td>{{heartbeatAge}} s ago</td></tr>
        {{/workers}}
        {{^workers}}<tr><td colspan="9">No worker registered in the last day.</td></tr>{{/workers}}
        </tbody>
        </table>
        """

    static let tasks = """
        <form class="filters" method="get" action="/tasks">
          <label>State <select name="state"><option value="">any</option>{{#states}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{value}}</option>{{/states}}</select></label>
          <label>Name <input name="name" value="{{name}}"></label>
          <label>Queue <input name="queue" value="{{queue}}"></label>
          <label>Text <input name="search" value="{{search}}" placeholder="in args, kwargs, result, error"></label>
          <label>Worker <input name="worker" value="{{worker}}"></label>
          <label>Created from <input type="datetime-local" name="since" value="{{since}}"></label>
          <label>until <input type="datetime-local" name="until" value="{{until}}"> UTC</label>
          <label>Order <select name="order"><option value="newest">newest first</option><option value="oldest"{{#oldestFirst}} selected{{/oldestFirst}}>oldest first</option></select></label>
          <button type="submit">Filter</button>
        </form>
        {{#canAct}}{{#filtered}}<p class="actions"><a href="/tasks/bulk?action=revoke&amp;{{filterQuery}}">Revoke all matching…</a>
        <a href="/tasks/bulk?action=retry&amp;{{filterQuery}}">Retry all matching…</a></p>{{/filtered}}{{/canAct}}
        <table>
        <thead><tr><th>Task</th><th>Name</th><th>State</th><th>Args</th><th>Kwargs</th><th>Queue</th><th>Worker</th><th>Attempt</th><th>Runtime</th></tr></thead>
        <tbody>
        {{#tasks}}<tr><td><a href="/task/{{id}}">{{id}}</a></td><td>{{name}}</td><td class="state-{{state}}">{{state}}</td><td class="data">{{args}}</td><td class="data">{{kwargs}}</td><td>{{queue}}</td><td>{{worker}}</td><td>{{attempt}}</td><td>{{runtime}}</td></tr>
        {{/tasks}}
        {{^tasks}}<tr><td colspan="9">No task matches.</td></tr>{{/tasks}}
        </tbody>
        </table>
        {{#searchedTo}}<p class="note">A text search reads at most {{window}} tasks per page; this page's stretch ends at tasks created {{searchedTo}} UTC. The link below searches the next stretch.</p>{{/searchedTo}}
        {{#next}}<p><a class="more" href="{{next}}">{{moreLabel}}</a></p>{{/next}}
        """

    static let task = """
        <dl class="facts">
          <dt>Id</dt><dd>{{id}}</dd>
          <dt>Name</dt><dd>{{name}}</dd>
          <dt>State</dt><dd class="state-{{stateClass}}">{{state}}</dd>
          <dt>Queue</dt><dd>{{queue}}</dd>
          <dt>Worker</dt><dd>{{worker}}</dd>
          <dt>Attempt</dt><dd>{{attempt}}</dd>
          <dt>Args</dt><dd><pre>{{args}}</pre></dd>
          <dt>Kwargs</dt><dd><pre>{{kwargs}}</pre></dd>
          {{#result}}<dt>Result</dt><dd><pre>{{result}}</pre></dd>{{/result}}
          {{#errorType}}<dt>Error</dt><dd><b>{{errorType}}</b>: {{errorMessage}}{{#traceback}}<pre>{{traceback}}</pre>{{/traceback}}</dd>{{/errorType}}
        </dl>
        {{#canAct}}<div class="actions">
          {{#running}}<form method="post" action="/task/{{id}}/revoke"><input type="hidden" name="csrf" value="{{csrf}}"><button type="submit">Revoke</button></form>
          <form method="post" action="/task/{{id}}/revoke"><input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="terminate" value="1"><button type="submit">Terminate</button></form>{{/running}}
          {{#retryable}}<form method="post" action="/task/{{id}}/retry"><input type="hidden" name="csrf" value="{{csrf}}"><button type="submit">Retry</button></form>{{/retryable}}
        </div>{{/canAct}}
        {{#hasChain}}<h2>Chain</h2>
        <ol class="chain">
        {{#chain}}<li class="state-{{state}}">{{#current}}<b>{{/current}}{{#sent}}<a href="/task/{{id}}">{{name}}</a>{{/sent}}{{^sent}}{{name}}{{/sent}} ({{state}}){{#current}}</b>{{/current}}</li>
        {{/chain}}
        </ol>{{/hasChain}}
        <h2>Timeline</h2>
        <table>
        <thead><tr><th>Time</th><th>Event</th><th>Attempt</th><th>Worker</th><th>Runtime</th><th>Error</th></tr></thead>
        <tbody>
        {{#events}}<tr><td>{{at}}</td><td>{{kind}}</td><td>{{attempt}}</td><td>{{worker}}</td><td>{{runtime}}</td><td>{{error}}</td></tr>
        {{/events}}
        {{^events}}<tr><td colspan="6">No events recorded (task events need a worker started with -E).</td></tr>{{/events}}
        </tbody>
        </table>
        """

    static let queues = """
        <table>
        <thead><tr><th>Queue</th><th>Waiting</th><th>Scheduled</th><th>Retrying</th><th>Running</th><th>Oldest wait</th><th>Paused</th><th>Workers</th><th>Finished 1/5/15 min</th><th>Failed 15 min</th>{{#canAct}}<th>Actions</th>{{/canAct}}</tr></thead>
        <tbody>
        {{#queues}}<tr><td><a href="/tasks?queue={{link}}">{{queue}}</a></td><td>{{queued}}</td><td>{{scheduled}}</td><td>{{retry}}</td><td>{{started}}</td><td>{{oldest}}</td><td>{{paused}}</td><td>{{workers}}</td><td>{{processed1m}} / {{processed5m}} / {{processed15m}}</td><td>{{failed15m}}</td>{{#canAct}}<td class="actions">
        <form method="post" action="/queues/{{link}}/{{toggle}}"><input type="hidden" name="csrf" value="{{csrf}}"><button type="submit">{{toggle}}</button></form>
        <form method="post" action="/queues/{{link}}/purge"><input type="hidden" name="csrf" value="{{csrf}}"><input name="confirm" placeholder="type {{queue}} to purge" aria-label="confirm purge"><button type="submit">Purge</button></form>
        </td>{{/canAct}}</tr>
        {{/queues}}
        {{^queues}}<tr><td colspan="10">No queue has work or a worker.</td></tr>{{/queues}}
        </tbody>
        </table>
        <h2>Throughput by queue, last hour (tasks per minute)</h2>
        <div class="charts">
        {{#queues}}<figure><figcaption>{{queue}}</figcaption>{{{chart}}}</figure>
        {{/queues}}
        </div>
        """

    static let workers = """
        <table>
        <thead><tr><th>Worker</th><th>Status</th><th>Pool</th><th>Concurrency</th><th>Active</th><th>Queues</th><th>Registered tasks</th><th>Heartbeat</th>{{#canAct}}<th>Actions</th>{{/canAct}}</tr></thead>
        <tbody>
        {{#workers}}<tr><td>{{id}}</td><td class="state-{{status}}">{{status}}</td><td>{{pool}}</td><td>{{concurrency}}</td><td>{{active}}</td><td>{{queues}}</td><td>{{registered}}</td><td>{{heartbeatAge}} s ago</td>{{#canAct}}<td class="actions">{{#live}}
        <form method="post" action="/workers/{{link}}/pool_grow"><input type="hidden" name="csrf" value="{{csrf}}"><button type="submit">+1</button></form>
        <form method="post" action="/workers/{{link}}/pool_shrink"><input type="hidden" name="csrf" value="{{csrf}}"><button type="submit">-1</button></form>
        <form method="post" action="/workers/{{link}}/shutdown"><input type="hidden" name="csrf" value="{{csrf}}"><button type="submit">Shut down</button></form>
        {{/live}}</td>{{/canAct}}</tr>
        {{/workers}}
        {{^workers}}<tr><td colspan="8">No worker registered in the last day.</td></tr>{{/workers}}
        </tbody>
        </table>
        """

    static let bulk = """
        <p>{{count}} task(s) match{{#capped}} (at most {{limit}} are acted on at once){{/capped}}: state <b>{{state}}</b>,
        name <b>{{name}}</b>, queue <b>{{queue}}</b>, text <b>{{search}}</b>, worker <b>{{worker}}</b>,
        created from <b>{{since}}</b> until <b>{{until}}</b> (UTC).</p>
        {{#canAct}}<form method="post" action="/tasks/bulk">
          <input type="hidden" name="csrf" value="{{csrf}}">
          <input type="hidden" name="action" value="{{action}}">
          <input type="hidden" name="state" value="{{state}}">
          <input type="hidden" name="name" value="{{name}}">
          <input type="hidden" name="queue" value="{{queue}}">
          <input type="hidden" name="search" value="{{search}}">
          <input type="hidden" name="worker" value="{{worker}}">
          <input type="hidden" name="since" value="{{since}}">
          <input type="hidden" name="until" value="{{until}}">
          <button type="submit">Yes, {{action}} them</button> <a href="{{back}}">Cancel</a>
        </form>{{/canAct}}
        """

    static let periodic = """
        <table>
        <thead><tr><th>Name</th><th>Task</th><th>Schedule</th><th>Enabled</th><th>Next run</th><th>Late by</th><th>Last run</th><th>Runs</th><th>Last state</th><th>Last error</th>{{#canAct}}<th>Actions</th>{{/canAct}}</tr></thead>
        <tbody>
        {{#schedules}}<tr><td>{{name}}</td><td>{{task}}</td><td>{{schedule}} ({{timeZone}})</td><td>{{enabled}}</td><td>{{nextRun}}</td><td>{{lateBy}}</td><td>{{lastRun}}</td><td>{{runs}}</td><td class="state-{{lastState}}">{{lastState}}</td><td>{{lastError}}</td>{{#canAct}}<td class="actions">
        <form method="post" action="/periodic/{{link}}/{{toggle}}"><input type="hidden" name="csrf" value="{{csrf}}"><button type="submit">{{toggle}}</button></form>
        <form method="post" action="/periodic/{{link}}/run"><input type="hidden" name="csrf" value="{{csrf}}"><button type="submit">Run now</button></form>
        </td>{{/canAct}}</tr>
        {{/schedules}}
        {{^schedules}}<tr><td colspan="11">No periodic task.</td></tr>{{/schedules}}
        </tbody>
        </table>
        """

    /// Every template, parsed once.
    static func library() throws -> MustacheLibrary {
        var templates: [String: MustacheTemplate] = [:]
        for (name, text) in [
            ("layout", layout), ("dashboard", dashboard), ("tasks", tasks), ("task", task), ("queues", queues),
            ("workers", workers), ("periodic", periodic), ("bulk", bulk),
        ] {
            templates[name] = try MustacheTemplate(string: text)
        }
        return MustacheLibrary(templates: templates)
    }
}
