// `demo worker …` runs the worker with the walkthrough's tasks (`-B` adds beat);
// `demo run` runs the test script; `demo beat`, `schedule`, `migrate`, `call`, `result`
// and `purge` work as in `celeriac`.
import CeleriacCLI
import Foundation

// Swift initialises globals lazily: touch the task definitions so they are registered
// before the worker starts.
_ = (add, flakyTask, mul, tsum)
do {
    try configureBeatSchedule()
} catch {
    FileHandle.standardError.write(Data("demo: invalid beat schedule: \(error)\n".utf8))
    exit(1)
}

await CeleriacCommandLine.main(app: app, commands: [RunScript.self])
