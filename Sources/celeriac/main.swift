// The standalone admin tool: everything that needs no task code.
import CeleriacCLI

await CeleriacCommandLine.main(app: nil)
