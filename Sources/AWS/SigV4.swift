import HTTP
import Crypto
public import Foundation

/// AWS credentials: an access key, its secret, and a session token for temporary ones.
public struct AWSCredentials: Sendable, Hashable {
    public var accessKeyID: String
    public var secretAccessKey: String
    public var sessionToken: String?
    /// When temporary credentials stop working (nil for long-term keys).
    public var expiration: Date?
    /// Where they came from (`environment`, `profile "ops" in ~/.aws/credentials`, `web identity`), never secret.
    public var source: String

    /// Creates credentials.
    public init(
        accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil, expiration: Date? = nil,
        source: String
    ) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.expiration = expiration
        self.source = source
    }
}

/// AWS Signature Version 4, as far as fargate-cron needs it: signing headers (checked against AWS's
/// published test suite) and presigning a URL (the EKS token).
///
/// - SeeAlso: https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
public struct SigV4: Sendable {
    public var credentials: AWSCredentials
    public var region: String
    public var service: String

    /// A signer for one service in one region.
    public init(credentials: AWSCredentials, region: String, service: String) {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// A request to sign: method, path, query pairs and headers as sent.
    public struct Request {
        public var method: String
        public var path: String
        public var query: [(String, String)]
        public var headers: [(String, String)]
        public var body: Data

        /// A request as it will be sent.
        public init(method: String, path: String, query: [(String, String)], headers: [(String, String)], body: Data) {
            self.method = method
            self.path = path
            self.query = query
            self.headers = headers
            self.body = body
        }
    }

    static let emptyPayloadHash = hex(SHA256.hash(data: Data()))

    /// `YYYYMMDDTHHMMSSZ`.
    public static func timestamp(_ date: Date) -> String {
        let text = RFC3339.formatSeconds(date)  // 2015-08-30T12:36:00Z
        return text.replacingOccurrences(of: "-", with: "").replacingOccurrences(of: ":", with: "")
    }

    /// RFC 3986 encoding as SigV4 wants it: unreserved characters stay, everything else is `%XX` (upper case).
    public static func encode(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: "~"):
                result.unicodeScalars.append(UnicodeScalar(byte))
            default:
                result += String(format: "%%%02X", byte)
            }
        }
        return result
    }

    static func canonicalQuery(_ query: [(String, String)]) -> String {
        let encoded: [(key: String, value: String)] = query.map { (encode($0.0), encode($0.1)) }
        let sorted = encoded.sorted { left, right in
            left.key == right.key ? left.value < right.value : left.key < right.key
        }
        return sorted.map { "\($0.key)=\($0.value)" }.joined(separator: "&")
    }

    /// The canonical headers block and the signed-headers list.
    static func canonicalHeaders(_ headers: [(String, String)]) -> (block: String, signed: String) {
        var merged: [String: [String]] = [:]
        for (name, value) in headers {
            let trimmed = value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
            merged[name.lowercased(), default: []].append(trimmed)
        }
        let names = merged.keys.sorted()
        let block = names.map { "\($0):\(merged[$0]!.joined(separator: ","))\n" }.joined()
        return (block, names.joined(separator: ";"))
    }

    func canonicalRequest(_ request: Request, payloadHash: String) -> (text: String, signedHeaders: String) {
        let headers = Self.canonicalHeaders(request.headers)
        let path = request.path.split(separator: "/", omittingEmptySubsequences: false)
            .map { Self.encode(String($0)) }.joined(separator: "/")
        let text = [request.method, path.isEmpty ? "/" : path, Self.canonicalQuery(request.query), headers.block,
                    headers.signed, payloadHash].joined(separator: "\n")
        return (text, headers.signed)
    }

    func scope(at date: Date) -> String {
        "\(Self.timestamp(date).prefix(8))/\(region)/\(service)/aws4_request"
    }

    func stringToSign(canonicalRequest: String, at date: Date) -> String {
        ["AWS4-HMAC-SHA256", Self.timestamp(date), scope(at: date),
         Self.hex(SHA256.hash(data: Data(canonicalRequest.utf8)))].joined(separator: "\n")
    }

    func signature(of stringToSign: String, at date: Date) -> String {
        func hmac(_ key: SymmetricKey, _ text: some StringProtocol) -> SymmetricKey {
            SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(text.utf8), using: key)))
        }
        let dateKey = hmac(SymmetricKey(data: Data("AWS4\(credentials.secretAccessKey)".utf8)), Self.timestamp(date).prefix(8))
        let signingKey = hmac(hmac(hmac(dateKey, region), service), "aws4_request")
        return Self.hex(HMAC<SHA256>.authenticationCode(for: Data(stringToSign.utf8), using: signingKey))
    }

    /// The `Authorization` header for a request whose headers already include `X-Amz-Date` (and the
    /// session token, when signing with temporary credentials).
    public func authorization(for request: Request, at date: Date) -> String {
        let payloadHash = Self.hex(SHA256.hash(data: request.body))
        let canonical = canonicalRequest(request, payloadHash: payloadHash)
        let signature = signature(of: stringToSign(canonicalRequest: canonical.text, at: date), at: date)
        return "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope(at: date)), "
            + "SignedHeaders=\(canonical.signedHeaders), Signature=\(signature)"
    }

    /// A presigned GET URL, with the query parameters in the order botocore writes them (so that the
    /// result is byte for byte what `aws` produces).
    /// - Parameters:
    ///   - host: the host, also signed as the `host` header.
    ///   - query: the operation's own parameters (`Action`, `Version`), in order.
    ///   - headers: further headers to sign (besides `host`), which the user of the URL must send.
    public func presignedURL(
        host: String, path: String = "/", query: [(String, String)], headers: [(String, String)], expires: Int,
        at date: Date
    ) -> String {
        let allHeaders = [("host", host)] + headers
        var parameters = query + [
            ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
            ("X-Amz-Credential", "\(credentials.accessKeyID)/\(scope(at: date))"),
            ("X-Amz-Date", Self.timestamp(date)),
            ("X-Amz-Expires", String(expires)),
            ("X-Amz-SignedHeaders", Self.canonicalHeaders(allHeaders).signed),
        ]
        if let token = credentials.sessionToken { parameters.append(("X-Amz-Security-Token", token)) }
        let request = Request(method: "GET", path: path, query: parameters, headers: allHeaders, body: Data())
        let canonical = canonicalRequest(request, payloadHash: Self.emptyPayloadHash)
        let signature = signature(of: stringToSign(canonicalRequest: canonical.text, at: date), at: date)
        parameters.append(("X-Amz-Signature", signature))
        let queryText = parameters.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
        return "https://\(host)\(path)?\(queryText)"
    }

    public static func hex(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }
}
