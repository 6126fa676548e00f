import HTTP
import Foundation

/// The EC2 instance role through the instance metadata service, version 2 (IMDSv2): a session token
/// from `PUT /latest/api/token` (with its lifetime in `X-aws-ec2-metadata-token-ttl-seconds`), then,
/// with the token in `X-aws-ec2-metadata-token`, the role's name from
/// `/latest/meta-data/iam/security-credentials/` and its credentials from `…/security-credentials/ROLE`.
///
/// `AWS_EC2_METADATA_DISABLED=true` turns it off; `AWS_EC2_METADATA_SERVICE_ENDPOINT` (or
/// `AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6`) moves it. An endpoint that does not know the token
/// call (403, 404, 405: IMDSv1 only) is asked without a token, unless `AWS_EC2_METADATA_V1_DISABLED=true`.
/// As in the CLI, each call waits at most a second: off EC2 nothing answers at all.
///
/// - SeeAlso: https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instance-metadata-v2-how-it-works.html
actor InstanceMetadata {
    private let endpoint: String
    private let allowsVersion1: Bool
    private let transport: any Transport
    private let now: @Sendable () -> Date
    private var session: (token: String, expires: Date)?
    private var role: String?

    /// The token's lifetime we ask for: six hours, the most IMDS grants (and what the CLI asks for).
    static let tokenLifetime = 21_600

    init(environment: [String: String], transport: any Transport, now: @escaping @Sendable () -> Date) {
        let configured = environment["AWS_EC2_METADATA_SERVICE_ENDPOINT"].flatMap { $0.isEmpty ? nil : $0 }
        let ipv6 = environment["AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE"]?.lowercased() == "ipv6"
        let base = configured ?? (ipv6 ? "http://[fd00:ec2::254]" : "http://169.254.169.254")
        endpoint = base.hasSuffix("/") ? String(base.dropLast()) : base
        allowsVersion1 = environment["AWS_EC2_METADATA_V1_DISABLED"]?.lowercased() != "true"
        self.transport = transport
        self.now = now
    }

    /// Whether the environment turns instance metadata off.
    static func isDisabled(in environment: [String: String]) -> Bool {
        environment["AWS_EC2_METADATA_DISABLED"]?.lowercased() == "true"
    }

    /// Where it is asked, for messages.
    nonisolated var description: String { "instance metadata (IMDSv2 at \(endpoint))" }

    /// The instance role's credentials.
    /// - Throws: ``AWSError/credentials(_:)`` saying which step failed.
    func credentials() async throws(AWSError) -> AWSCredentials {
        let roleName = try await self.roleName()
        let response = try await get("/latest/meta-data/iam/security-credentials/\(roleName)")
        if response.status == 404 {
            role = nil  // the instance profile was replaced: ask for the new role's name next time
            throw .credentials("\(description): role \(roleName) has no credentials (404)")
        }
        struct Answer: Decodable {
            var Code: String?
            var AccessKeyId: String?
            var SecretAccessKey: String?
            var Token: String?
            var Expiration: String?
        }
        guard response.status == 200, let answer = try? JSONDecoder().decode(Answer.self, from: response.body),
            answer.Code == nil || answer.Code == "Success", let key = answer.AccessKeyId, let secret = answer.SecretAccessKey
        else {
            throw .credentials("\(description): the credentials of role \(roleName) answered \(response.status)")
        }
        return AWSCredentials(
            accessKeyID: key, secretAccessKey: secret, sessionToken: answer.Token,
            expiration: answer.Expiration.flatMap(RFC3339.parse), source: "instance role \(roleName) (\(description))")
    }

    private func roleName() async throws(AWSError) -> String {
        if let role { return role }
        let response = try await get("/latest/meta-data/iam/security-credentials/")
        guard response.status == 200 else {
            throw .credentials(
                response.status == 404
                    ? "\(description): the instance has no IAM role (no instance profile)"
                    : "\(description): the role name answered \(response.status)")
        }
        let text = String(decoding: response.body, as: UTF8.self)
        guard let name = text.split(whereSeparator: \.isNewline).first.map({ String($0).trimmingCharacters(in: .whitespaces) }),
            !name.isEmpty
        else { throw .credentials("\(description): the instance has no IAM role (empty answer)") }
        role = name
        return name
    }

    /// A GET with the session token; a 401 (the token expired early, or the service restarted) gets
    /// a new token and is asked once more.
    private func get(_ path: String) async throws(AWSError) -> HTTPResponse {
        var token = try await sessionToken(renewing: false)
        for attempt in 1...2 {
            var headers: [(name: String, value: String)] = []
            if let token { headers.append((name: "X-aws-ec2-metadata-token", value: token)) }
            let response = try await send(HTTPRequest(method: .get, url: endpoint + path, headers: headers), path)
            guard response.status == 401, attempt == 1 else { return response }
            token = try await sessionToken(renewing: true)
        }
        preconditionFailure("the loop returns on its second pass")
    }

    /// The session token, nil when the service only speaks IMDSv1 (and that is allowed).
    private func sessionToken(renewing: Bool) async throws(AWSError) -> String? {
        // Renewed a minute before its end, so a token never expires between two calls.
        if !renewing, let session, session.expires.timeIntervalSince(now()) > 60 { return session.token }
        let request = HTTPRequest(
            method: .put, url: endpoint + "/latest/api/token",
            headers: [("X-aws-ec2-metadata-token-ttl-seconds", String(Self.tokenLifetime))])
        let response = try await send(request, "/latest/api/token")
        if [403, 404, 405].contains(response.status), allowsVersion1 { return nil }
        let token = String(decoding: response.body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard response.status == 200, !token.isEmpty else {
            throw .credentials("\(description): the session token (PUT /latest/api/token) answered \(response.status)")
        }
        let lifetime = response.headers["x-aws-ec2-metadata-token-ttl-seconds"].flatMap(Int.init) ?? Self.tokenLifetime
        session = (token, now().addingTimeInterval(Double(lifetime)))
        return token
    }

    private func send(_ request: HTTPRequest, _ path: String) async throws(AWSError) -> HTTPResponse {
        do {
            return try await transport.send(request)
        } catch {
            throw .credentials("\(description): \(request.method.rawValue) \(path) failed: \(error)")
        }
    }
}
