public import Foundation

/// An HTTP method the Kubernetes client uses.
public enum HTTPMethod: String, Sendable, Hashable {
    case get = "GET", post = "POST", put = "PUT", patch = "PATCH", delete = "DELETE"
}

/// One HTTP request, fully formed (absolute URL, headers including authorization, body).
public struct HTTPRequest: Sendable {
    /// The method.
    public var method: HTTPMethod
    /// The absolute URL, already percent-encoded.
    public var url: String
    /// Header fields, in order. Values may hold secrets (a bearer token): never log them.
    public var headers: [(name: String, value: String)]
    /// The body, if any.
    public var body: Data?
    /// Whether the transport may send the request again, on a new connection, when the connection it
    /// went on died before a complete answer (a reset, a dead pooled keep-alive connection, a lost
    /// HTTP/2 connection). Reads are; by default `POST` and `PATCH` are not, since the first copy may
    /// have been carried out. Only the caller knows more (a create by name, whose repeat meets 409,
    /// is safe in a way the transport cannot see), so the caller may set it either way.
    public var isRetrySafe: Bool

    /// Creates a request; ``isRetrySafe`` defaults to true for `GET`, `PUT` and `DELETE`.
    public init(
        method: HTTPMethod, url: String, headers: [(name: String, value: String)] = [], body: Data? = nil,
        isRetrySafe: Bool? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.isRetrySafe = isRetrySafe ?? (method != .post && method != .patch)
    }

    /// The request without its secrets, for errors and logs: method and URL only.
    public var redactedDescription: String { "\(method.rawValue) \(url)" }
}

/// A complete response.
public struct HTTPResponse: Sendable {
    /// The status code.
    public var status: Int
    /// Header fields with lower-cased names (the last value wins for a repeated name).
    public var headers: [String: String]
    /// The whole body.
    public var body: Data
    /// The HTTP version of the answer, from its status line: `1.1` or `2`.
    public var httpVersion: String
    /// Whether the request went on the wire more than once (only a retry-safe one does, after its
    /// connection died): a `DELETE`'s 404 or an update's 409 may then answer a copy that was carried out.
    public var wasResent: Bool

    /// Creates a response.
    public init(
        status: Int, headers: [String: String] = [:], body: Data = Data(), httpVersion: String = "1.1",
        wasResent: Bool = false
    ) {
        self.status = status
        self.headers = headers
        self.body = body
        self.httpVersion = httpVersion
        self.wasResent = wasResent
    }
}

/// A response whose body arrives line by line, as the server sends it (watches, `follow` logs).
public struct HTTPStreamResponse: Sendable {
    /// The status code.
    public var status: Int
    /// Header fields with lower-cased names.
    public var headers: [String: String]
    /// The body's lines without their `\n`, delivered as they arrive. Ends when the server ends the
    /// body; throws the transfer's error (a ``CurlError``) if the connection fails mid-body.
    /// Stopping the iteration (or cancelling the task) aborts the transfer.
    public var lines: AsyncThrowingStream<Data, any Error>
    /// Ends the transfer from outside the task that reads it: `lines` ends (after what already
    /// arrived) as if the server had ended the body. A transport that cannot, does nothing.
    public var stop: @Sendable () -> Void

    /// Creates a streamed response.
    public init(
        status: Int, headers: [String: String], lines: AsyncThrowingStream<Data, any Error>,
        stop: @escaping @Sendable () -> Void = {}
    ) {
        self.status = status
        self.headers = headers
        self.lines = lines
        self.stop = stop
    }
}

/// Moves HTTP requests to the API server. ``CurlTransport`` is the real one; tests put their own
/// in its place to inject faults request by request.
public protocol Transport: Sendable {
    /// Sends a request and returns the whole response.
    /// - Throws: ``CurlError`` when no HTTP response arrived; `CancellationError` when the task was cancelled.
    func send(_ request: HTTPRequest) async throws -> HTTPResponse

    /// Sends a request and returns as soon as the response's head has arrived; the body follows as lines.
    /// - Throws: ``CurlError`` when no HTTP response arrived; `CancellationError` when the task was cancelled.
    func stream(_ request: HTTPRequest) async throws -> HTTPStreamResponse
}
