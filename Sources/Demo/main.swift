// `demo worker …` runs the worker with the walkthrough's tasks; `demo run` runs the
// test script; `demo migrate`, `call`, `result`, `purge` work as in `celeriac`.
import CeleriacCLI

// Swift initialises globals lazily: touch the task definitions so they are registered
// before the worker starts.
_ = (add, flakyTask)

await CeleriacCommandLine.main(app: app, commands: [RunScript.self])
