// The standalone admin tool: everything that needs no task code.
import CeleriacBenchmarks
import CeleriacCLI

await CeleriacCommandLine.main(app: nil, commands: BenchCommands.all)
