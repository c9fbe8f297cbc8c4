import ArgumentParser
import Celeriac
import Foundation

/// `celeriac doctor`: checks the database, the schema, LISTEN, the server's settings and the
/// clock; exits non-zero when something is a problem.
struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check the connection, the schema, LISTEN, the server's settings and the clock (exit 1 on a problem)."
    )

    @OptionGroup var common: CommonOptions

    func run() async throws {
        let app = try common.makeApp()
        defer { app.shutdown() }
        let findings = Doctor(configuration: app.conf).run()
        let width = findings.map(\.check.count).max() ?? 0
        for finding in findings {
            let mark = finding.severity.rawValue.uppercased().padding(toLength: 7, withPad: " ", startingAt: 0)
            print("\(mark) \(finding.check.padding(toLength: width, withPad: " ", startingAt: 0))  \(finding.detail)")
        }
        let problems = findings.filter { $0.severity == .problem }.count
        let warnings = findings.filter { $0.severity == .warning }.count
        print("\(problems) problem(s), \(warnings) warning(s).")
        if problems > 0 { throw ExitCode(1) }
    }
}
