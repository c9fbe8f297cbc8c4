import ArgumentParser
import Celeriac
import Foundation

/// `celeriac config`: the settings in force (code, then environment, then flags), passwords
/// masked.
struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Print the settings in force (the code's, then CELERIAC_* variables, then flags), passwords masked."
    )

    @OptionGroup var common: CommonOptions

    func run() async throws {
        let app = try common.makeApp()
        defer { app.shutdown() }
        let entries = app.conf.entries
        let nameWidth = entries.map(\.name.count).max() ?? 0
        let variableWidth = entries.map { ($0.variable ?? "-").count }.max() ?? 0
        for entry in entries {
            let name = entry.name.padding(toLength: nameWidth, withPad: " ", startingAt: 0)
            let variable = (entry.variable ?? "-").padding(toLength: variableWidth, withPad: " ", startingAt: 0)
            print("\(name)  \(variable)  \(entry.value)")
        }
    }
}
