import HTTP
import Foundation

/// STS `AssumeRoleWithWebIdentity`: trades the projected service-account token (IRSA) for role credentials.
/// The call is unsigned: the web identity token is the proof.
struct WebIdentity {
    var tokenFile: String
    var roleARN: String
    var sessionName: String?
    var region: String?
    /// `AWS_ENDPOINT_URL_STS`, for tests (and for VPC endpoints); otherwise the regional STS endpoint.
    var endpoint: String?
    var transport: any Transport
    var now: @Sendable () -> Date

    func assumeRole() async throws(AWSError) -> AWSCredentials {
        let token: String
        do {
            // Re-read on every exchange: the kubelet rotates the projected token file.
            token = try String(contentsOfFile: tokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        } catch {
            throw .credentials("cannot read the web identity token \(tokenFile): \(error.localizedDescription)")
        }
        let base = endpoint ?? "https://sts.\(region ?? "us-east-1").\(AWSEndpoint.domain(for: region ?? "us-east-1"))"
        let session = sessionName ?? "fargate-cron-\(Int(now().timeIntervalSince1970))"
        let query = [
            ("Action", "AssumeRoleWithWebIdentity"), ("Version", "2011-06-15"), ("RoleArn", roleARN),
            ("RoleSessionName", session), ("WebIdentityToken", token),
        ].map { "\($0.0)=\(SigV4.encode($0.1))" }.joined(separator: "&")
        let request = HTTPRequest(
            method: .post, url: base.hasSuffix("/") ? base : base + "/",
            headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"), ("Accept", "application/xml")],
            body: Data(query.utf8))
        let response: HTTPResponse
        do {
            response = try await transport.send(request)
        } catch {
            throw .credentials("STS AssumeRoleWithWebIdentity for \(roleARN) failed: \(error)")
        }
        let xml = String(decoding: response.body, as: UTF8.self)
        guard response.status == 200, let key = Self.element("AccessKeyId", in: xml),
            let secret = Self.element("SecretAccessKey", in: xml), let sessionToken = Self.element("SessionToken", in: xml)
        else {
            let message = Self.element("Message", in: xml) ?? "HTTP \(response.status)"
            throw .credentials("STS AssumeRoleWithWebIdentity for \(roleARN) was refused: \(message)")
        }
        return AWSCredentials(
            accessKeyID: key, secretAccessKey: secret, sessionToken: sessionToken,
            expiration: Self.element("Expiration", in: xml).flatMap(RFC3339.parse),
            source: "web identity (\(roleARN))")
    }

    /// The text of the first `<name>` element; STS answers are flat enough for this.
    static func element(_ name: String, in xml: String) -> String? {
        guard let open = xml.range(of: "<\(name)>"), let close = xml.range(of: "</\(name)>", range: open.upperBound..<xml.endIndex)
        else { return nil }
        return String(xml[open.upperBound..<close.lowerBound])
    }
}
