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
        let session = sessionName ?? "fargate-cron-\(Int(now().timeIntervalSince1970))"
        return try await STSCall(endpoint: endpoint, region: region, transport: transport).credentials(
            action: "AssumeRoleWithWebIdentity",
            parameters: [("RoleArn", roleARN), ("RoleSessionName", session), ("WebIdentityToken", token)],
            signer: nil, at: now(), describing: "STS AssumeRoleWithWebIdentity for \(roleARN)",
            source: "web identity (\(roleARN))")
    }

    /// The text of the first `<name>` element (kept for callers of the old name).
    static func element(_ name: String, in xml: String) -> String? { STSCall.element(name, in: xml) }
}
