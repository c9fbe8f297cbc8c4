import Foundation
import Testing

@testable import Celeriac

/// Checks on files that are not Swift: the compose file parses, migrations are embedded.
@Suite struct RepositoryFilesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test func dockerComposeIsValidYAMLWithAHealthcheckedDatabase() async throws {
        let script = """
            import sys, yaml
            doc = yaml.safe_load(open(sys.argv[1]))
            services = doc["services"]
            assert "healthcheck" in services["postgres"], "postgres has no healthcheck"
            assert "worker" in services, "no worker service"
            print("ok")
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, Self.root.appending(path: "docker-compose.yml").path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        // Off the cooperative pool, which the other tests share.
        let output = await withCheckedContinuation { continuation in
            Thread {
                let data = pipe.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                continuation.resume(returning: String(decoding: data, as: UTF8.self))
            }.start()
        }
        #expect(process.terminationStatus == 0)
        #expect(output.contains("ok"))
    }

    @Test func everyMigrationFileIsEmbeddedInOrder() throws {
        let directory = Self.root.appending(path: "sql/migrations")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".sql") }.sorted()
        let migrator = Migrator()
        #expect(migrator.migrations.map(\.name) == files)
        #expect(migrator.migrations.map(\.version) == Array(1...files.count))
        for migration in migrator.migrations {
            let text = try String(contentsOf: directory.appending(path: migration.name), encoding: .utf8)
            #expect(migration.sql.trimmingCharacters(in: .whitespacesAndNewlines) == text.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }
}
