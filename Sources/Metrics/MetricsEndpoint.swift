/// What the metrics server answers: `GET /metrics` (and `HEAD`) with the registry's exposition.
public enum MetricsEndpoint {
    /// The path Prometheus scrapes by default.
    public static let path = "/metrics"

    /// The answer to `head`: 200 with the exposition, 404 for another path, 405 for another method.
    public static func respond(to head: HTTPRequestHead, registry: MetricsRegistry) -> HTTPResponse {
        guard head.path == path else { return .text(.notFound, "not found: this server serves \(path) only") }
        guard head.method == "GET" || head.method == "HEAD" else {
            return .text(.methodNotAllowed, "\(head.method) is not allowed on \(path)", headers: ["Allow": "GET, HEAD"])
        }
        return HTTPResponse(status: .ok, contentType: TextExposition.contentType, body: Array(registry.render().utf8))
    }
}
