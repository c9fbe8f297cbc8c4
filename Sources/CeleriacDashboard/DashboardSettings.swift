import Celeriac
import Foundation

/// How the dashboard is served: where, to whom, and whether it may change anything.
public struct DashboardSettings: Sendable {
    /// Who may see the dashboard.
    public enum Auth: Sendable, Equatable {
        /// Anyone who can reach the address (allowed on a loopback address only).
        case none
        /// HTTP Basic: what browsers ask for.
        case basic(user: String, password: String)
        /// `Authorization: Bearer <token>`: for scripts and Flower API clients.
        case bearer(token: String)
    }

    /// The address to bind (default 127.0.0.1: only this machine).
    public var host: String = "127.0.0.1"
    /// The port (Flower's default).
    public var port: Int = 5555
    public var auth: Auth = .none
    /// Shows everything, changes nothing: action buttons are hidden and POSTs refused.
    public var readOnly: Bool = false
    /// How many tasks one page of a text search reads at most (no index covers the text);
    /// the page then offers to search the next stretch. 20,000 rows read in about 30 ms.
    public var searchWindow: Int = 20_000

    public init(
        host: String = "127.0.0.1", port: Int = 5555, auth: Auth = .none, readOnly: Bool = false, searchWindow: Int = 20_000
    ) {
        self.host = host
        self.port = port
        self.auth = auth
        self.readOnly = readOnly
        self.searchWindow = searchWindow
    }

    /// Whether `host` reaches this machine only.
    public var isLoopback: Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    /// Refuses to serve on a non-loopback address without authentication, and empty secrets.
    public func validate() throws {
        guard (1...65_535).contains(port) else { throw ConfigurationError("the dashboard port must be 1 to 65535, got \(port)") }
        guard searchWindow >= 1 else { throw ConfigurationError("the search window must be at least 1 task, got \(searchWindow)") }
        switch auth {
        case .none:
            guard isLoopback else {
                throw ConfigurationError(
                    "refusing to serve the dashboard on \(host) without authentication: set CELERIAC_DASHBOARD_AUTH=user:password or CELERIAC_DASHBOARD_TOKEN (or --auth-file), or bind 127.0.0.1"
                )
            }
        case .basic(let user, let password):
            guard !user.isEmpty, !password.isEmpty, !user.contains(":") else {
                throw ConfigurationError("dashboard basic auth needs user:password, both non-empty")
            }
        case .bearer(let token):
            guard token.count >= 16 else { throw ConfigurationError("the dashboard token must have at least 16 characters") }
        }
    }

    /// Reads `user:password` (basic) or a token from the environment or a file:
    /// `CELERIAC_DASHBOARD_AUTH`, `CELERIAC_DASHBOARD_TOKEN`, or the first line of `file`
    /// (`user:password` or `token:<token>`). Secrets never go on the command line, where
    /// every user of the machine can read them in `/proc/*/cmdline`.
    public static func auth(environment: [String: String], file: String?) throws -> Auth {
        if let file {
            let text: String
            do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
                throw ConfigurationError("cannot read the dashboard auth file \(file): \(error.localizedDescription)")
            }
            let line = text.split(whereSeparator: \.isNewline).first.map(String.init)?.trimmingCharacters(in: .whitespaces) ?? ""
            return try parse(line, source: file)
        }
        if let token = environment["CELERIAC_DASHBOARD_TOKEN"], !token.isEmpty { return .bearer(token: token) }
        if let pair = environment["CELERIAC_DASHBOARD_AUTH"], !pair.isEmpty { return try parse(pair, source: "CELERIAC_DASHBOARD_AUTH") }
        return .none
    }

    private static func parse(_ text: String, source: String) throws -> Auth {
        if text.hasPrefix("token:") { return .bearer(token: String(text.dropFirst("token:".count))) }
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw ConfigurationError("\(source) must hold user:password or token:<token>") }
        return .basic(user: String(parts[0]), password: String(parts[1]))
    }
}
