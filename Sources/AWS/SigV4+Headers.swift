public import Foundation

extension SigV4 {
    /// The headers to send for a request signed in the `Authorization` header: `headers` plus
    /// `X-Amz-Date`, `X-Amz-Security-Token` (for temporary credentials) and `Authorization`. The
    /// host (with its port, when the URL names one) is signed but not added: libcurl sends it.
    /// - Parameters:
    ///   - url: the absolute URL, already percent-encoded; its path and query are signed.
    ///   - headers: the request's own headers, all signed.
    public func signedHeaders(
        method: String, url: String, headers: [(name: String, value: String)], body: Data, at date: Date
    ) -> [(name: String, value: String)] {
        let parts = URLComponents(string: url)
        let hostName = parts?.host ?? ""
        let host = parts?.port.map { "\(hostName):\($0)" } ?? hostName
        let query = (parts?.percentEncodedQueryItems ?? []).map {
            ($0.name.removingPercentEncoding ?? $0.name, ($0.value ?? "").removingPercentEncoding ?? "")
        }
        var sent = headers
        sent.append((name: "X-Amz-Date", value: Self.timestamp(date)))
        if let token = credentials.sessionToken { sent.append((name: "X-Amz-Security-Token", value: token)) }
        let path = (parts?.percentEncodedPath).map { $0.removingPercentEncoding ?? $0 } ?? "/"
        let request = Request(
            method: method, path: path.isEmpty ? "/" : path, query: query,
            headers: [("host", host)] + sent.map { ($0.name, $0.value) }, body: body)
        sent.append((name: "Authorization", value: authorization(for: request, at: date)))
        return sent
    }
}
