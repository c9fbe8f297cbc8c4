// The standalone admin tool: everything that needs no task code.
import CeleriacBenchmarks
import CeleriacCLI
import CeleriacChaos

await CeleriacCommandLine.main(app: nil, commands: BenchCommands.all + ChaosCommands.all)
