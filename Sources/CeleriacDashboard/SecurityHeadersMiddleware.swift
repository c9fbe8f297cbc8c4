import HTTPTypes
import Hummingbird

/// Headers on every response: a strict Content-Security-Policy (no inline script, nothing
/// from elsewhere), no MIME sniffing, no framing, no referrer sent elsewhere.
struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {

    static var policy: String {
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
            + "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.contentSecurityPolicy] = Self.policy
        response.headers[.xContentTypeOptions] = "nosniff"
        for (name, value) in SecurityHeaders.named { response.headers[name] = value }
        response.headers[.cacheControl] = response.headers[.cacheControl] ?? "no-store"
        return response
    }
}

/// Headers HTTPTypes has no name for.
enum SecurityHeaders {
    static let named: [(HTTPField.Name, String)] = [("X-Frame-Options", "DENY"), ("Referrer-Policy", "same-origin")]
        .compactMap { name, value in HTTPField.Name(name).map { ($0, value) } }
}
