import Foundation

/// Turns typed arguments into the JSON array stored in `tasks.args`, and back.
enum ArgumentCoding {
    /// `[a, b, …]` as compact JSON.
    static func encode<each A: Encodable>(_ arguments: repeat each A) throws -> String {
        var json = "["
        for argument in repeat each arguments {
            if json.utf8.count > 1 { json += "," }
            try append(argument, to: &json)
        }
        json += "]"
        return json
    }

    /// Appends one argument as JSON. Integers, strings and booleans, the usual task
    /// arguments, are written directly; anything else goes through `JSONEncoder`, which
    /// costs microseconds per value (it shows in bulk enqueue).
    private static func append<T: Encodable>(_ argument: T, to json: inout String) throws {
        switch argument {
        case let value as Int: json += String(value)
        case let value as String: appendString(value, to: &json)
        case let value as Bool: json += value ? "true" : "false"
        default: json += try JSONCoding.encode(argument)
        }
    }

    /// A JSON string literal, escaped as `JSONEncoder` does (without escaping `/`).
    static func appendString(_ value: String, to json: inout String) {
        let needsEscaping = value.utf8.contains { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }
        guard needsEscaping else {
            json += "\""
            json += value
            json += "\""
            return
        }
        json += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": json += "\\\""
            case "\\": json += "\\\\"
            case "\n": json += "\\n"
            case "\r": json += "\\r"
            case "\t": json += "\\t"
            case "\u{08}": json += "\\b"
            case "\u{0C}": json += "\\f"
            case let control where control.value < 0x20:
                let hex = String(control.value, radix: 16)
                json += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: json.unicodeScalars.append(scalar)
            }
        }
        json += "\""
    }

    /// `[a, b, …]` from type-erased values (signatures may be partial).
    static func encode(list arguments: [any Encodable & Sendable]) throws -> String {
        "[" + (try arguments.map { try JSONCoding.encode($0) }).joined(separator: ",") + "]"
    }

    /// How many parameters a task takes.
    static func count<each A>(_ types: repeat (each A).Type) -> Int {
        var total = 0
        for _ in repeat each types { total += 1 }
        return total
    }

    /// Decodes the positional arguments of a task, merging keyword arguments by name.
    ///
    /// Errors name the task, the argument (by position and name) and what was expected,
    /// e.g. `tasks.add: argument 2 (y) must be Int, got a string`.
    static func decode<each A: Decodable>(
        _ types: repeat (each A).Type,
        task: String,
        args: String,
        kwargs: String,
        names: [String]
    ) throws -> (repeat each A) {
        let expected = count(repeat (each A).self)
        let merged = try merge(args: args, kwargs: kwargs, names: names, expected: expected, task: task)
        do {
            let box = try JSONCoding.decode(ArgumentBox<repeat each A>.self, from: merged)
            return box.values
        } catch let error as DecodingError {
            throw ArgumentError(describe(error, task: task, names: names))
        } catch let error as ArgumentError {
            throw ArgumentError("\(task): \(error.message)")
        }
    }

    /// The positional array with keyword arguments placed by name.
    private static func merge(args: String, kwargs: String, names: [String], expected: Int, task: String) throws -> String {
        let trimmed = kwargs.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty || trimmed == "{}" { return args }
        guard
            var positional = try? JSONSerialization.jsonObject(with: Data(args.utf8), options: [.fragmentsAllowed]) as? [Any],
            let keywords = try? JSONSerialization.jsonObject(with: Data(kwargs.utf8), options: [.fragmentsAllowed]) as? [String: Any]
        else {
            throw ArgumentError("\(task): args must be a JSON array and kwargs a JSON object")
        }
        guard !names.isEmpty else {
            throw ArgumentError(
                "\(task): got keyword arguments \(keywords.keys.sorted()) but the task declares no argument names: register it with app.task(\"\(task)\", argumentNames: [...]) to accept them"
            )
        }
        let given = positional.count
        for (key, value) in keywords {
            guard let index = names.firstIndex(of: key) else {
                throw ArgumentError("\(task): unexpected keyword argument '\(key)' (parameters: \(names.joined(separator: ", ")))")
            }
            if index < given {
                throw ArgumentError("\(task): got multiple values for argument '\(key)'")
            }
            while positional.count <= index { positional.append(Missing.marker) }
            positional[index] = value
        }
        if let gap = positional.firstIndex(where: { ($0 as? String) == Missing.marker }) {
            let name = gap < names.count ? names[gap] : "#\(gap + 1)"
            throw ArgumentError("\(task): missing argument '\(name)'")
        }
        let data = try JSONSerialization.data(withJSONObject: positional, options: [.fragmentsAllowed])
        return String(decoding: data, as: UTF8.self)
    }

    private static func describe(_ error: DecodingError, task: String, names: [String]) -> String {
        func position(_ path: [CodingKey]) -> String {
            guard let index = path.first?.intValue else { return "arguments" }
            let name = index < names.count ? " (\(names[index]))" : ""
            return "argument \(index + 1)\(name)"
        }
        switch error {
        case .typeMismatch(let type, let context):
            return "\(task): \(position(context.codingPath)) must be \(type): \(context.debugDescription)"
        case .valueNotFound(let type, let context):
            return "\(task): \(position(context.codingPath)) must be \(type), got null"
        case .keyNotFound(let key, let context):
            return "\(task): \(position(context.codingPath)) is missing field '\(key.stringValue)'"
        case .dataCorrupted(let context):
            return "\(task): \(position(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(task): \(error)"
        }
    }
}

/// A placeholder for positions no keyword filled.
private enum Missing {
    static let marker = "\u{0}celeriac-missing-argument"
}

/// Decodes a JSON array into a tuple of typed values, checking the count first.
private struct ArgumentBox<each A: Decodable>: Decodable {
    let values: (repeat each A)

    init(from decoder: Decoder) throws {
        var container = try decoder.unkeyedContainer()
        let expected = ArgumentCoding.count(repeat (each A).self)
        if let count = container.count, count != expected {
            throw ArgumentError("takes \(expected) argument\(expected == 1 ? "" : "s") but \(count) were given")
        }
        values = (repeat try container.decode((each A).self))
    }
}
