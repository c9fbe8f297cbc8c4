import Foundation
import Hummingbird

/// Lets a request through only with the configured credentials (`/healthcheck` always), and
/// names the user for the audit log.
struct AuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let auth: DashboardSettings.Auth

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.uri.path == "/healthcheck" { return try await next(request, context) }
        switch auth {
        case .none:
            return try await next(request, context)
        case .basic(let user, let password):
            if let header = request.headers[.authorization], header.hasPrefix("Basic "),
                let decoded = Data(base64Encoded: String(header.dropFirst("Basic ".count))),
                Self.same(decoded, Data("\(user):\(password)".utf8))
            {
                return try await next(request, context)
            }
            var headers = HTTPFields()
            headers[.wwwAuthenticate] = "Basic realm=\"Celeriac\", charset=\"UTF-8\""
            return Response(
                status: .unauthorized, headers: headers, body: .init(byteBuffer: ByteBuffer(string: "authentication required\n")))
        case .bearer(let token):
            if let header = request.headers[.authorization], header.hasPrefix("Bearer "),
                Self.same(Data(header.dropFirst("Bearer ".count).utf8), Data(token.utf8))
            {
                return try await next(request, context)
            }
            var headers = HTTPFields()
            headers[.wwwAuthenticate] = "Bearer realm=\"Celeriac\""
            return Response(
                status: .unauthorized, headers: headers, body: .init(byteBuffer: ByteBuffer(string: "authentication required\n")))
        }
    }

    /// Compares in time independent of where the first difference is.
    static func same(_ a: Data, _ b: Data) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }
}
