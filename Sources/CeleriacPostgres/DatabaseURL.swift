import Foundation

/// A PostgreSQL connection string: a URL (`postgres://user:pass@host:port/db?opt=val`)
/// or a libpq `key=value` conninfo string, with a password-free form for display.
///
/// ```swift
/// let url = try DatabaseURL("postgres://app:s3cret@db.internal:5432/jobs?sslmode=require")
/// print(url.masked) // postgres://app:**@db.internal:5432/jobs?sslmode=require
/// ```
public struct DatabaseURL: Sendable, Hashable, CustomStringConvertible {
    /// The string as given, without Celeriac's own `pooler` parameter; handed to libpq, never
    /// logged.
    public let rawValue: String
    /// Whether connections go through a pooler in transaction mode (`?pooler=transaction`, or
    /// `pooler=transaction` in a conninfo string): such a session may change server
    /// connection between transactions, so it keeps no state: statements are sent unnamed,
    /// session settings are skipped, and LISTEN is refused.
    public let pooled: Bool
    /// The user name, when given.
    public let user: String?
    /// The host name, address or socket directory, when given.
    public let host: String?
    /// The port, when given.
    public let port: Int?
    /// The database name, when given.
    public let database: String?
    /// Whether the string carries a password.
    public let hasPassword: Bool

    /// Parses and validates a connection string.
    /// - Throws: ``PostgresError`` with code ``PostgresError/Code/invalidConnectionString``.
    public init(_ string: String) throws {
        let trimmed = string.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else {
            throw PostgresError(code: .invalidConnectionString, message: "the database URL is empty")
        }
        let (text, pooler) = try Self.removingPooler(trimmed)
        rawValue = text
        pooled = pooler
        if let scheme = Self.scheme(of: text) {
            guard scheme == "postgres" || scheme == "postgresql" else {
                throw PostgresError(
                    code: .invalidConnectionString,
                    message: "unsupported URL scheme '\(scheme)': use postgres:// or postgresql://"
                )
            }
            let parts = try Self.parseURL(text, schemeLength: scheme.count + 3)
            (user, host, port, database, hasPassword) = parts
        } else {
            let pairs = try Self.parseConninfo(text)
            user = pairs["user"]
            host = pairs["host"] ?? pairs["hostaddr"]
            if let text = pairs["port"] {
                guard let value = Int(text), (1...65535).contains(value) else {
                    throw PostgresError(code: .invalidConnectionString, message: "invalid port '\(text)'")
                }
                port = value
            } else {
                port = nil
            }
            database = pairs["dbname"]
            hasPassword = pairs["password"] != nil
        }
    }

    /// The connection string with any password replaced by `**`, safe for logs and banners.
    public var masked: String { Self.mask(rawValue) + (pooled ? " (pooled)" : "") }

    public var description: String { masked }

    /// Replaces passwords in a URL or conninfo string (and in any text quoting one) by `**`.
    public static func mask(_ text: String) -> String {
        var result = maskURLPasswords(text)
        result = maskKeyValue(result, key: "password")
        return result
    }

    // MARK: - Parsing

    /// The string without the `pooler` parameter, and whether it asked for transaction pooling.
    private static func removingPooler(_ text: String) throws -> (String, Bool) {
        func check(_ value: Substring) throws -> Bool {
            guard value == "transaction" else {
                throw PostgresError(
                    code: .invalidConnectionString,
                    message: "pooler=\(value) is not supported: use pooler=transaction behind a transaction-mode pooler, or leave it out"
                )
            }
            return true
        }
        if scheme(of: text) != nil {
            guard let question = text.firstIndex(of: "?") else { return (text, false) }
            var pooled = false
            var kept: [Substring] = []
            for pair in text[text.index(after: question)...].split(separator: "&") {
                if pair.hasPrefix("pooler=") {
                    pooled = try check(pair.dropFirst("pooler=".count))
                } else {
                    kept.append(pair)
                }
            }
            let base = String(text[..<question])
            return (kept.isEmpty ? base : base + "?" + kept.joined(separator: "&"), pooled)
        }
        var pooled = false
        var kept: [Substring] = []
        for token in text.split(whereSeparator: \.isWhitespace) {
            if token.hasPrefix("pooler=") {
                pooled = try check(token.dropFirst("pooler=".count))
            } else {
                kept.append(token)
            }
        }
        return pooled ? (kept.joined(separator: " "), true) : (text, false)
    }

    private static func scheme(of text: String) -> String? {
        guard let range = text.range(of: "://") else { return nil }
        let scheme = text[text.startIndex..<range.lowerBound]
        guard !scheme.isEmpty, scheme.allSatisfy({ $0.isLetter || $0 == "+" || $0 == "-" || $0 == "." }) else {
            return nil
        }
        return scheme.lowercased()
    }

    private static func parseURL(
        _ text: String,
        schemeLength: Int
    ) throws -> (String?, String?, Int?, String?, Bool) {
        var rest = Substring(text.dropFirst(schemeLength))
        if let query = rest.firstIndex(of: "?") {
            let queryText = rest[rest.index(after: query)...]
            for pair in queryText.split(separator: "&") where !pair.contains("=") {
                throw PostgresError(
                    code: .invalidConnectionString,
                    message: "invalid URL parameter '\(pair)': expected key=value"
                )
            }
            rest = rest[..<query]
        }
        var authority = rest
        var database: String?
        if let slash = rest.firstIndex(of: "/") {
            authority = rest[..<slash]
            let name = rest[rest.index(after: slash)...]
            database = name.isEmpty ? nil : percentDecoded(name)
        }
        var user: String?
        var hasPassword = false
        var hostPort = authority
        if let at = authority.lastIndex(of: "@") {
            let userInfo = authority[..<at]
            hostPort = authority[authority.index(after: at)...]
            if let colon = userInfo.firstIndex(of: ":") {
                user = percentDecoded(userInfo[..<colon])
                hasPassword = true
            } else {
                user = percentDecoded(userInfo)
            }
            if user?.isEmpty == true { user = nil }
        }
        var host: String?
        var port: Int?
        if hostPort.hasPrefix("[") {  // IPv6 literal
            guard let close = hostPort.firstIndex(of: "]") else {
                throw PostgresError(code: .invalidConnectionString, message: "unterminated IPv6 address in URL")
            }
            host = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
            let after = hostPort[hostPort.index(after: close)...]
            if after.hasPrefix(":") { port = try parsePort(after.dropFirst()) }
        } else if let colon = hostPort.lastIndex(of: ":"), !hostPort.contains(",") {
            host = String(hostPort[..<colon])
            port = try parsePort(hostPort[hostPort.index(after: colon)...])
        } else if !hostPort.isEmpty {
            host = percentDecoded(hostPort)
        }
        if host?.isEmpty == true { host = nil }
        return (user, host, port, database, hasPassword)
    }

    private static func parsePort(_ text: Substring) throws -> Int? {
        if text.isEmpty { return nil }
        guard let value = Int(text), (1...65535).contains(value) else {
            throw PostgresError(code: .invalidConnectionString, message: "invalid port '\(text)' in URL")
        }
        return value
    }

    private static func parseConninfo(_ text: String) throws -> [String: String] {
        var pairs: [String: String] = [:]
        var index = text.startIndex
        func skipSpaces() {
            while index < text.endIndex, text[index].isWhitespace { index = text.index(after: index) }
        }
        while true {
            skipSpaces()
            guard index < text.endIndex else { break }
            let keyStart = index
            while index < text.endIndex, text[index] != "=", !text[index].isWhitespace {
                index = text.index(after: index)
            }
            let key = String(text[keyStart..<index])
            skipSpaces()
            guard index < text.endIndex, text[index] == "=" else {
                throw PostgresError(
                    code: .invalidConnectionString,
                    message: "invalid connection string: expected key=value after '\(key)'"
                )
            }
            index = text.index(after: index)
            skipSpaces()
            var value = ""
            if index < text.endIndex, text[index] == "'" {
                index = text.index(after: index)
                var closed = false
                while index < text.endIndex {
                    let character = text[index]
                    if character == "\\", text.index(after: index) < text.endIndex {
                        index = text.index(after: index)
                        value.append(text[index])
                    } else if character == "'" {
                        closed = true
                        index = text.index(after: index)
                        break
                    } else {
                        value.append(character)
                    }
                    index = text.index(after: index)
                }
                if !closed {
                    throw PostgresError(code: .invalidConnectionString, message: "unterminated quoted value for '\(key)'")
                }
            } else {
                while index < text.endIndex, !text[index].isWhitespace {
                    value.append(text[index])
                    index = text.index(after: index)
                }
            }
            pairs[key] = value
        }
        return pairs
    }

    private static func percentDecoded(_ text: Substring) -> String {
        String(text).removingPercentEncoding ?? String(text)
    }

    // MARK: - Masking

    /// `scheme://user:secret@` → `scheme://user:**@`, wherever it occurs in `text`.
    private static func maskURLPasswords(_ text: String) -> String {
        var output = ""
        var rest = Substring(text)
        while let range = rest.range(of: "://") {
            output += rest[..<range.upperBound]
            rest = rest[range.upperBound...]
            // The authority ends at the first '/', '?', '#' or whitespace.
            let end = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" || $0.isWhitespace }) ?? rest.endIndex
            let authority = rest[..<end]
            if let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") {
                output += authority[...colon] + "**" + authority[at...]
            } else {
                output += authority
            }
            rest = rest[end...]
        }
        output += rest
        return output
    }

    /// `key=secret` or `key='se cret'` → `key=**`, also as a URL query parameter.
    private static func maskKeyValue(_ text: String, key: String) -> String {
        var output = ""
        var index = text.startIndex
        while index < text.endIndex {
            guard let range = text.range(of: key, options: [.caseInsensitive], range: index..<text.endIndex) else {
                break
            }
            output += text[index..<range.upperBound]
            index = range.upperBound
            let boundaryBefore =
                range.lowerBound == text.startIndex
                || !(text[text.index(before: range.lowerBound)].isLetter || text[text.index(before: range.lowerBound)] == "_")
            var probe = index
            while probe < text.endIndex, text[probe] == " " { probe = text.index(after: probe) }
            guard boundaryBefore, probe < text.endIndex, text[probe] == "=" else { continue }
            probe = text.index(after: probe)
            while probe < text.endIndex, text[probe] == " " { probe = text.index(after: probe) }
            output += text[index..<probe] + "**"
            if probe < text.endIndex, text[probe] == "'" {
                probe = text.index(after: probe)
                while probe < text.endIndex, text[probe] != "'" {
                    if text[probe] == "\\" { probe = text.index(after: probe) }
                    if probe < text.endIndex { probe = text.index(after: probe) }
                }
                if probe < text.endIndex { probe = text.index(after: probe) }
            } else {
                while probe < text.endIndex, !(text[probe].isWhitespace || text[probe] == "&") {
                    probe = text.index(after: probe)
                }
            }
            index = probe
        }
        output += text[index...]
        return output
    }
}
