/// The dashboard's one stylesheet, served from the binary (`/static/celeriac.css`).
enum Stylesheet {
    static let css = """
        body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #222; background: #fafafa; }
        header { display: flex; gap: 1.5em; align-items: center; padding: .6em 1.2em; background: #2f4f2f; color: #fff; }
        header a { color: #fff; text-decoration: none; margin-right: 1em; }
        .brand { font-weight: bold; font-size: 1.2em; }
        .badge { background: #c60; padding: .1em .5em; border-radius: .3em; }
        main { padding: 1em 1.2em; }
        table { border-collapse: collapse; width: 100%; background: #fff; }
        th, td { border-bottom: 1px solid #ddd; padding: .35em .5em; text-align: left; vertical-align: top; }
        td.data { font-family: ui-monospace, monospace; max-width: 24em; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
        pre { white-space: pre-wrap; word-break: break-all; max-height: 30em; overflow: auto; background: #f3f3f3; padding: .5em; }
        .totals { display: flex; gap: 2em; margin-bottom: 1em; }
        .totals b { font-size: 1.6em; display: block; }
        .filters { display: flex; flex-wrap: wrap; gap: 1em; margin-bottom: 1em; }
        p.note { color: #555; }
        .state-succeeded, .state-online { color: #2a7a2a; }
        .state-failed, .state-dead { color: #b00; }
        .state-revoked, .state-stale { color: #a60; }
        .state-started { color: #06c; }
        dl.facts { display: grid; grid-template-columns: 8em 1fr; gap: .3em 1em; }
        svg.chart { background: #fff; border: 1px solid #ddd; }
        .charts { display: flex; flex-wrap: wrap; gap: 1em; }
        .charts figure { margin: 0; }
        svg.chart .ok { fill: #5a9a5a; }
        svg.chart .bad { fill: #c44; }
        svg.chart text { font-size: 10px; fill: #555; }
        .actions { display: flex; gap: .5em; flex-wrap: wrap; }
        .actions form { display: inline; }
        p.error { color: #b00; }
        """
}
