import Foundation
import Testing

@testable import Celeriac

@Suite struct ArgumentCodingTests {
    struct Point: Codable, Sendable, Equatable {
        var x: Int
        var y: Int
    }

    @Test func encodesPositionalArguments() throws {
        #expect(try ArgumentCoding.encode(7, 11) == "[7,11]")
        #expect(try ArgumentCoding.encode("a\"b", Point(x: 1, y: 2), [1.5]) == #"["a\"b",{"x":1,"y":2},[1.5]]"#)
        #expect(try ArgumentCoding.encode() == "[]")
        #expect(try ArgumentCoding.encode(list: [300, "x"]) == #"[300,"x"]"#)
    }

    /// Integers, strings and booleans skip JSONEncoder: the text must read back as the same value.
    @Test func directlyWrittenScalarsReadBackAsJSONEncoderWouldHaveThem() throws {
        let strings = [
            "", "plain", "quote \" and backslash \\", "line\nbreak\ttab\r", "\u{01}\u{08}\u{0C}\u{1F}",
            "slash / stays", "Привет, 世界 🎉", "\u{7F}",
        ]
        for text in strings {
            let json = try ArgumentCoding.encode(text, Int.min, true, Optional(5), Optional<Int>.none)
            let decoded = try JSONDecoder().decode([JSONValue].self, from: Data(json.utf8))
            let expected = try JSONDecoder().decode(
                [JSONValue].self, from: JSONEncoder().encode([JSONValue.string(text)]))
            #expect(decoded.first == expected.first, "\(json)")
            #expect(json.hasSuffix(",\(Int.min),true,5,null]"))
        }
        #expect(try ArgumentCoding.encode("a/b") == #"["a/b"]"#)
    }

    @Test func decodesTypedArgumentsBack() throws {
        let (x, y) = try ArgumentCoding.decode(Int.self, Int.self, task: "tasks.add", args: "[7, 11]", kwargs: "{}", names: [])
        #expect(x == 7 && y == 11)
        let (name, point) = try ArgumentCoding.decode(
            String.self, Point.self, task: "t", args: #"["p", {"x": 3, "y": 4}]"#, kwargs: "{}", names: []
        )
        #expect(name == "p" && point == Point(x: 3, y: 4))
    }

    @Test func mergesKeywordArgumentsByName() throws {
        let (x, y) = try ArgumentCoding.decode(
            Int.self, Int.self, task: "tasks.add", args: "[2]", kwargs: #"{"y": 5}"#, names: ["x", "y"]
        )
        #expect(x == 2 && y == 5)
        let (a, b) = try ArgumentCoding.decode(
            Int.self, Int.self, task: "tasks.add", args: "[]", kwargs: #"{"y": 1, "x": 9}"#, names: ["x", "y"]
        )
        #expect(a == 9 && b == 1)
    }

    @Test func wrongCountNamesTheTask() {
        let error = #expect(throws: ArgumentError.self) {
            _ = try ArgumentCoding.decode(Int.self, Int.self, task: "tasks.add", args: "[1, 2, 3]", kwargs: "{}", names: [])
        }
        #expect(error?.message == "tasks.add: takes 2 arguments but 3 were given")
    }

    @Test func wrongTypeNamesTheArgument() {
        let error = #expect(throws: ArgumentError.self) {
            _ = try ArgumentCoding.decode(
                Int.self, Int.self, task: "tasks.add", args: #"[1, "two"]"#, kwargs: "{}", names: ["x", "y"]
            )
        }
        #expect(error?.message.hasPrefix("tasks.add: argument 2 (y) must be Int") == true)
    }

    @Test func unknownKeywordIsRefused() {
        let error = #expect(throws: ArgumentError.self) {
            _ = try ArgumentCoding.decode(Int.self, task: "t", args: "[]", kwargs: #"{"z": 1}"#, names: ["x"])
        }
        #expect(error?.message.contains("unexpected keyword argument 'z'") == true)
        #expect(throws: ArgumentError.self) {
            _ = try ArgumentCoding.decode(Int.self, task: "t", args: "[]", kwargs: #"{"x": 1}"#, names: [])
        }
        #expect(throws: ArgumentError.self) {
            _ = try ArgumentCoding.decode(Int.self, task: "t", args: "[1]", kwargs: #"{"x": 1}"#, names: ["x"])
        }
    }

    @Test func nonArrayArgumentsAreAClearError() {
        #expect(throws: Error.self) {
            _ = try ArgumentCoding.decode(Int.self, task: "t", args: #"{"x": 1}"#, kwargs: "{}", names: [])
        }
    }
}

@Suite struct ErrorInfoTests {
    struct ValueError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    @Test func formatsLikeCelery() {
        let info = ErrorInfo(ValueError(message: "Ой, упал!"))
        #expect(info.type == "ValueError")
        #expect(info.description == "ValueError('Ой, упал!')")
        let decoded = try? JSONCoding.decode(ErrorInfo.self, from: info.json)
        #expect(decoded == info)
    }

    @Test func taskFailedErrorKeepsTheOriginal() {
        let info = ErrorInfo(type: "KeyError", message: "k")
        let wrapped = ErrorInfo(TaskFailedError(taskID: "x", info: info, state: .failure))
        #expect(wrapped == info)
    }
}
