public import HTTP
import Foundation

/// A typed client of the Kubernetes API for what fargate-cron needs: Jobs, Pods, their logs and
/// events, and Leases.
///
/// Reads, deletes and updates are retried on 429, 5xx and dropped connections, with jittered
/// exponential backoff honouring `Retry-After`. A create is never retried blindly: after an answer
/// that leaves it unknown whether the object was made, the client reads it by name first.
/// After a 401 the credentials are refreshed once and the request sent again.
public struct KubeClient: Sendable {
    /// The API server's base URL, such as `https://ABC.gr7.ap-northeast-1.eks.amazonaws.com`.
    public let server: String
    let transport: any Transport
    let credentials: any CredentialSource
    let retry: RetryPolicy
    /// Hears every request the client sends (each attempt of a retried one) with its Kubernetes verb
    /// and whether it failed (no answer, or not 2xx): the daemon's API metrics (#17). A minimal seam
    /// while `httploop` rewrites the transport; watch and log streams are not counted yet.
    public var requestObserver: (@Sendable (_ verb: String, _ failed: Bool) -> Void)?

    /// Creates a client.
    /// - Parameters:
    ///   - server: the base URL; a trailing `/` is ignored.
    ///   - transport: usually a ``CurlTransport`` configured with the cluster's CA.
    ///   - credentials: where bearer tokens come from.
    ///   - retry: backoff for retried requests.
    public init(
        server: String, transport: any Transport, credentials: any CredentialSource,
        retry: RetryPolicy = RetryPolicy()
    ) {
        self.server = server.hasSuffix("/") ? String(server.dropLast()) : server
        self.transport = transport
        self.credentials = credentials
        self.retry = retry
    }

    /// Who the client acts as (never a secret).
    public var identity: String { credentials.identity }

    // MARK: - Requests

    /// One API call, described for messages without secrets.
    struct Call: Sendable {
        var method: HTTPMethod
        var path: String
        var query: [(String, String)] = []
        var body: Data? = nil
        /// The Kubernetes verb (`create`, `get`, `list`, `watch`, `update`, `delete`), for 403 messages.
        var verb: String
        /// `jobs.batch "name" in namespace "x"`, for messages.
        var resource: String

        var description: String { "\(verb) \(resource)" }

        func url(on server: String) -> String {
            guard !query.isEmpty else { return server + path }
            return server + path + "?" + query.map { "\($0.0)=\(percentEncoded($0.1))" }.joined(separator: "&")
        }
    }

    /// - Parameter retrySafe: whether the transport may send it again by itself on a new connection
    ///   (``HTTPRequest/isRetrySafe``); creates are not, since ``create(_:in:)`` looks before it repeats.
    func httpRequest(for call: Call, refreshing: Bool, retrySafe: Bool) async throws(KubernetesError) -> HTTPRequest {
        var headers: [(name: String, value: String)] = [("Accept", "application/json")]
        if call.body != nil { headers.append(("Content-Type", "application/json")) }
        if let authorization = try await credentials.authorizationHeader(refreshing: refreshing) {
            headers.append(("Authorization", authorization))
        }
        return HTTPRequest(
            method: call.method, url: call.url(on: server), headers: headers, body: call.body, isRetrySafe: retrySafe)
    }

    /// Sends a call; retries it when `idempotent` (or the answer is 429, which the server sends
    /// before doing anything). Returns only 2xx answers.
    func perform(_ call: Call, idempotent: Bool) async throws(KubernetesError) -> HTTPResponse {
        var attempt = 1
        var refreshed = false
        while true {
            let request = try await httpRequest(for: call, refreshing: refreshed && attempt == 1, retrySafe: idempotent)
            let response: HTTPResponse
            do {
                response = try await transport.send(request)
                requestObserver?(call.verb, !(200..<300).contains(response.status))
            } catch let error as CurlError {
                requestObserver?(call.verb, true)
                guard idempotent, error.isConnectionFailure, attempt < retry.maximumAttempts else {
                    throw .transport(error, request: call.description)
                }
                try await pause(beforeRetry: attempt, retryAfter: nil)
                attempt += 1
                continue
            } catch is CancellationError {
                throw .cancelled
            } catch {
                requestObserver?(call.verb, true)
                throw .invalidResponse("\(call.description): \(error)")
            }
            if response.status == 401 && !refreshed {
                refreshed = true  // a token may have expired a moment ago: get a fresh one, once
                attempt = 1
                continue
            }
            if Self.isRetryable(response.status), idempotent || response.status == 429,
                attempt < retry.maximumAttempts
            {
                try await pause(beforeRetry: attempt, retryAfter: response.headers["retry-after"])
                attempt += 1
                continue
            }
            if response.status == 404 && call.method == .delete && (attempt > 1 || response.wasResent) {
                return response  // an earlier attempt (or copy) whose answer was lost did delete it
            }
            guard (200..<300).contains(response.status) else { throw error(from: response, call: call) }
            return response
        }
    }

    static func isRetryable(_ status: Int) -> Bool {
        status == 429 || status == 500 || status == 502 || status == 503 || status == 504
    }

    func pause(beforeRetry retryNumber: Int, retryAfter: String?) async throws(KubernetesError) {
        do {
            try await retry.sleep(retry.delay(beforeRetry: retryNumber, retryAfter: retryAfter))
        } catch {
            throw .cancelled
        }
    }

    /// Turns a non-2xx answer into an error, from its `Status` object when there is one.
    func error(from response: HTTPResponse, call: Call) -> KubernetesError {
        let status = try? KubernetesJSON.decoder.decode(Status.self, from: response.body)
        let message = status?.message ?? String(decoding: response.body.prefix(512), as: UTF8.self)
        switch response.status {
        case 401: return .unauthorized(identity: identity, request: call.description, message: message)
        case 403: return .forbidden(identity: identity, verb: call.verb, resource: call.resource, message: message)
        default:
            let reason = status?.reason ?? "HTTP \(response.status)"
            return .api(status: response.status, reason: reason, message: message)
        }
    }

    func decode<T: Decodable>(
        _ type: T.Type, from response: HTTPResponse, call: Call, decoder: JSONDecoder = KubernetesJSON.decoder
    ) throws(KubernetesError) -> T {
        do {
            return try decoder.decode(type, from: response.body)
        } catch {
            throw .invalidResponse("\(call.description): cannot read \(T.self): \(error)")
        }
    }

    func encode(_ value: some Encodable) throws(KubernetesError) -> Data {
        do {
            return try KubernetesJSON.encoder.encode(value)
        } catch {
            throw .invalidResponse("cannot encode \(type(of: value)): \(error)")
        }
    }
}

/// Percent-encodes a path segment or query value: RFC 3986's unreserved characters (ASCII letters
/// and digits, `-._~`) stay as they are, every other byte of the UTF-8 is `%XX`.
///
/// Every request's path has a namespace and most a name, and these are DNS labels: the usual value
/// has nothing to encode and is returned as it is, without building a character set (that cost
/// ~20 µs a request, on the path from a slot to its create).
func percentEncoded(_ value: String) -> String {
    func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            true
        default: false
        }
    }
    if value.utf8.allSatisfy(isUnreserved) { return value }
    let hex = Array("0123456789ABCDEF".utf8)
    var encoded: [UInt8] = []
    encoded.reserveCapacity(value.utf8.count * 3)
    for byte in value.utf8 {
        if isUnreserved(byte) {
            encoded.append(byte)
        } else {
            encoded += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
        }
    }
    return String(decoding: encoded, as: UTF8.self)
}

/// Paths and descriptions of one resource kind in one namespace.
struct ResourcePath<T: KubernetesResource> {
    var namespace: String?

    var collection: String {
        guard let namespace else { return "\(T.apiPath)/\(T.plural)" }
        return "\(T.apiPath)/namespaces/\(percentEncoded(namespace))/\(T.plural)"
    }

    func object(_ name: String) -> String { "\(collection)/\(percentEncoded(name))" }

    func describe(_ name: String? = nil) -> String {
        let named = name.map { " \"\($0)\"" } ?? ""
        let place = namespace.map { " in namespace \"\($0)\"" } ?? " in all namespaces"
        return "\(T.qualifiedName)\(named)\(place)"
    }
}
