/// Reads PostgreSQL's text form of a one-dimensional array (`{a,"b c",NULL}`).
package enum SQLArrayParser {
    /// The elements of `text` (nil for NULL), or nil when `text` is not a one-dimensional array
    /// literal. Quoted elements are unescaped; an unquoted `NULL` is SQL NULL.
    package static func elements(_ text: String) -> [String?]? {
        var bytes = Array(text.utf8)[...]
        // An explicit lower bound, e.g. `[0:1]={a,b}`, precedes the braces.
        if bytes.first == UInt8(ascii: "["), let equals = bytes.firstIndex(of: UInt8(ascii: "=")) {
            bytes = bytes[(equals + 1)...]
        }
        guard bytes.first == UInt8(ascii: "{"), bytes.last == UInt8(ascii: "}") else { return nil }
        bytes = bytes.dropFirst().dropLast()
        if bytes.isEmpty { return [] }
        var result: [String?] = []
        var index = bytes.startIndex
        while index <= bytes.endIndex {
            var element: [UInt8] = []
            var quoted = false
            if index < bytes.endIndex, bytes[index] == UInt8(ascii: "\"") {
                quoted = true
                index += 1
                while index < bytes.endIndex, bytes[index] != UInt8(ascii: "\"") {
                    if bytes[index] == UInt8(ascii: "\\"), index + 1 < bytes.endIndex { index += 1 }
                    element.append(bytes[index])
                    index += 1
                }
                guard index < bytes.endIndex else { return nil }
                index += 1
            } else {
                while index < bytes.endIndex, bytes[index] != UInt8(ascii: ",") {
                    guard bytes[index] != UInt8(ascii: "{") else { return nil }  // nested: not supported
                    element.append(bytes[index])
                    index += 1
                }
            }
            let value = String(decoding: element, as: UTF8.self)
            result.append(!quoted && value == "NULL" ? nil : value)
            guard index < bytes.endIndex else { break }
            guard bytes[index] == UInt8(ascii: ",") else { return nil }
            index += 1
        }
        return result
    }
}
