import Foundation
import Testing

/// Every Swift block of the README is compiled by the build: Examples/Readme* and the demo's
/// run script (which `make demo` runs) hold each one verbatim (indentation aside). This checks
/// they still match.
@Suite struct ReadmeTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The lines of `text`, trimmed, without blank ones.
    static func lines(_ text: some StringProtocol) -> [String] {
        text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    @Test func everySwiftBlockOfTheReadmeIsInACompiledExample() throws {
        let readme = try String(contentsOf: Self.root.appending(path: "README.md"), encoding: .utf8)
        var blocks: [[String]] = []
        var current: [String]?
        for line in readme.split(separator: "\n", omittingEmptySubsequences: false) {
            if current == nil, line == "```swift" {
                current = []
            } else if current != nil, line.hasPrefix("```") {
                blocks.append(Self.lines(current?.joined(separator: "\n") ?? ""))
                current = nil
            } else if current != nil {
                current?.append(String(line))
            }
        }
        #expect(blocks.count >= 3)
        let examples = [
            "Examples/ReadmeWalkthrough/main.swift", "Examples/ReadmeSnippets/main.swift", "Sources/Demo/RunScript.swift",
            "Tests/CeleriacTestingTests/ReadmeExampleTests.swift",
        ].map { path in
            Self.lines((try? String(contentsOf: Self.root.appending(path: path), encoding: .utf8)) ?? "")
        }
        for block in blocks {
            let found = examples.contains { example in
                example.count >= block.count
                    && (0...(example.count - block.count)).contains { Array(example[$0..<($0 + block.count)]) == block }
            }
            #expect(found, "README block not compiled by any example: \(block.first ?? "")")
        }
    }
}
