public import AWS
public import Foundation
public import HTTP

/// Calls one AWS JSON 1.1 API (ECS, CloudWatch Logs): `POST /` with the operation in `X-Amz-Target`,
/// signed with SigV4 from the credential chain, retried on throttling, 5xx answers and dropped
/// connections with backoff (``AWSRetryPolicy``) inside the caller's deadline.
///
/// Credentials that AWS no longer accepts (`ExpiredTokenException`, `UnrecognizedClientException`)
/// are refreshed from the chain once per call, and the call is tried again.
public struct AWSJSONClient: Sendable {
    /// Which API, in which region, at which endpoint.
    public let service: AWSService
    let credentials: AWSCredentialChain
    let transport: any Transport
    let retry: AWSRetryPolicy
    let now: @Sendable () -> Date
    /// Hears each request sent (every attempt, retries too): its operation (`RunTask`,
    /// `DescribeTasks`, `GetLogEvents`, …) and whether it failed (no answer, or not 2xx). The daemon
    /// counts them in its metrics.
    public var requestObserver: (@Sendable (_ operation: String, _ failed: Bool) -> Void)?

    /// Creates a client.
    /// - Parameters:
    ///   - service: the API and where it is.
    ///   - credentials: where the signing keys come from.
    ///   - transport: HTTP (``CurlTransport`` in production).
    ///   - retry: how transient failures are retried.
    ///   - now: the clock, for signatures and deadlines.
    public init(
        service: AWSService, credentials: AWSCredentialChain, transport: any Transport, retry: AWSRetryPolicy = AWSRetryPolicy(),
        now: @escaping @Sendable () -> Date
    ) {
        self.service = service
        self.credentials = credentials
        self.transport = transport
        self.retry = retry
        self.now = now
    }

    /// Calls `operation` with `input` as its JSON body and decodes the answer.
    /// - Parameters:
    ///   - deadline: the last instant a retry may start; `nil` retries ``AWSRetryPolicy/maximumAttempts`` times.
    /// - Throws: ``ECSError`` — the last failure when retries are used up or the deadline has come.
    public func call<Input: Encodable & Sendable, Output: Decodable>(
        _ operation: String, _ input: Input, returning: Output.Type, deadline: Date? = nil
    ) async throws(ECSError) -> Output {
        let body: Data
        do {
            let encoder = JSONEncoder()
            // Sorted keys: a retried RunTask must send the same parameters for its clientToken to hold.
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            body = try encoder.encode(input)
        } catch {
            throw .invalidResponse(operation: operation, "cannot encode the request: \(error)")
        }
        let data = try await send(operation, body: body, deadline: deadline)
        do {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .secondsSince1970  // JSON 1.1 timestamps are epoch seconds
            return try decoder.decode(Output.self, from: data.isEmpty ? Data("{}".utf8) : data)
        } catch {
            throw .invalidResponse(operation: operation, "\(error) in \(String(decoding: data.prefix(300), as: UTF8.self))")
        }
    }

    /// Sends one operation's body until it succeeds, fails for good, or runs out of time.
    func send(_ operation: String, body: Data, deadline: Date?) async throws(ECSError) -> Data {
        var attempt = 0
        var refreshed = false
        while true {
            attempt += 1
            let failure: ECSError
            do {
                return try await sendOnce(operation, body: body, refreshing: false)
            } catch {
                failure = error
            }
            if failure.isExpiredCredentials, !refreshed {
                refreshed = true
                do { _ = try await credentials.credentials(refreshing: true) } catch { throw .credentials(error) }
                continue
            }
            guard failure.isTransient else { throw failure }
            let pause = retry.delay(beforeRetry: attempt, throttled: failure.isThrottling)
            if let deadline {
                guard now().addingTimeInterval(pause.seconds) < deadline else { throw failure }
            } else if attempt >= retry.maximumAttempts {
                throw failure
            }
            do { try await retry.sleep(pause) } catch { throw .cancelled }
        }
    }

    /// One signed request.
    func sendOnce(_ operation: String, body: Data, refreshing: Bool) async throws(ECSError) -> Data {
        let keys: AWSCredentials
        do { keys = try await credentials.credentials(refreshing: refreshing) } catch { throw .credentials(error) }
        guard let url = URL(string: service.endpoint), let host = url.host else {
            throw .invalidResponse(operation: operation, "the endpoint \(service.endpoint) is not a URL")
        }
        let hostHeader = url.port.map { "\(host):\($0)" } ?? host
        let date = now()
        var headers: [(String, String)] = [
            ("Host", hostHeader),
            ("Content-Type", "application/x-amz-json-1.1"),
            ("X-Amz-Date", SigV4.timestamp(date)),
            ("X-Amz-Target", "\(service.targetPrefix).\(operation)"),
        ]
        if let token = keys.sessionToken { headers.append(("X-Amz-Security-Token", token)) }
        let path = url.path.isEmpty ? "/" : url.path
        let signer = SigV4(credentials: keys, region: service.region, service: service.signingName)
        let authorization = signer.authorization(
            for: SigV4.Request(method: "POST", path: path, query: [], headers: headers, body: body), at: date)
        headers.append(("Authorization", authorization))
        let request = HTTPRequest(method: .post, url: url.path.isEmpty ? service.endpoint + "/" : service.endpoint,
                                  headers: headers.map { (name: $0.0, value: $0.1) }, body: body)
        let response: HTTPResponse
        do {
            response = try await transport.send(request)
        } catch let error as CurlError {
            requestObserver?(operation, true)
            throw .transport(operation: operation, error)
        } catch is CancellationError {
            throw .cancelled
        } catch {
            requestObserver?(operation, true)
            throw .invalidResponse(operation: operation, "\(error)")
        }
        requestObserver?(operation, !(200..<300).contains(response.status))
        guard (200..<300).contains(response.status) else {
            throw .api(Self.apiError(service: service.signingName, operation: operation, response: response))
        }
        return response.body
    }

    /// Reads an error answer: JSON `{"__type": ..., "message": ...}` (the code may also come in the
    /// `x-amzn-ErrorType` header, and the message as `Message`); XML `<Code>`/`<Message>` from a
    /// front that speaks the query protocol; otherwise the status alone.
    static func apiError(service: String, operation: String, response: HTTPResponse) -> AWSAPIError {
        var code = response.headers["x-amzn-errortype"].map { String($0.split(separator: ":").first ?? "") } ?? ""
        var message = ""
        if let object = try? JSONSerialization.jsonObject(with: response.body) as? [String: Any] {
            if let type = object["__type"] as? String { code = type }
            message = (object["message"] as? String) ?? (object["Message"] as? String) ?? ""
        } else {
            let text = String(decoding: response.body.prefix(2000), as: UTF8.self)
            if let found = element("Code", in: text) { code = found }
            message = element("Message", in: text) ?? text.prefix(200).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        // `com.amazonaws.ecs#ClientException` and `aws.protocoltests#Foo` name the shape; the code is after `#`.
        if let hash = code.lastIndex(of: "#") { code = String(code[code.index(after: hash)...]) }
        if code.isEmpty { code = "HTTP\(response.status)" }
        return AWSAPIError(service: service, operation: operation, status: response.status, code: code, message: message,
                           requestID: response.headers["x-amzn-requestid"])
    }

    private static func element(_ name: String, in xml: String) -> String? {
        guard let open = xml.range(of: "<\(name)>"), let close = xml.range(of: "</\(name)>", range: open.upperBound..<xml.endIndex)
        else { return nil }
        return String(xml[open.upperBound..<close.lowerBound])
    }
}

extension Duration {
    /// The duration in seconds, as `Date` arithmetic wants it.
    var seconds: TimeInterval { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
