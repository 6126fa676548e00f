@testable import AWS
import HTTP
import Foundation
import Testing

@testable import Kubernetes

/// When each credential source gets a new token: exec plugins at their `expirationTimestamp`, the
/// in-cluster token file when the kubelet rotates it, EKS tokens after a 401 from freshly read AWS
/// credentials; and web identity named by a profile.
@Suite struct CredentialRefreshTests {
    /// A plugin whose token carries an `expirationTimestamp` in the past is run again for the next
    /// request; one whose token is still good for centuries is not (see `KubeconfigTests`).
    @Test(arguments: ["client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"])
    func execPluginIsRunAgainOnceItsTokenHasExpired(_ version: String) async throws {
        let scratch = try Scratch()
        let counter = "\(scratch.path)/runs"
        let plugin = try scratch.write("plugin.sh", """
            #!/bin/sh
            echo run >> \(counter)
            printf '{"apiVersion":"\(version)","kind":"ExecCredential","status":{"token":"tok-%s","expirationTimestamp":"2020-01-01T00:00:00Z"}}' "$(wc -l < \(counter) | tr -d ' ')"
            """, executable: true)
        let source = try ExecPlugin(
            config: .init(apiVersion: version, command: plugin, args: [], env: []), environment: [:],
            identity: "kubeconfig user \"plugin\"", directory: scratch.path)
        #expect(try await source.authorizationHeader(refreshing: false) == "Bearer tok-1")
        #expect(try await source.authorizationHeader(refreshing: false) == "Bearer tok-2")
    }

    /// The in-cluster connection's token is the kubelet's projected file, which it rewrites: the
    /// connection reads the new token after a 401 (and, unprompted, once its copy is a minute old).
    @Test func inClusterTokenIsReReadWhenTheKubeletRotatesIt() async throws {
        let scratch = try Scratch()
        try scratch.write("sa/token", "before-rotation")
        try scratch.write("sa/ca.crt", "CA")
        let connection = try #require(try ClusterConnection.inCluster(
            environment: ["KUBERNETES_SERVICE_HOST": "10.100.0.1", "KUBERNETES_SERVICE_PORT": "443"],
            directory: "\(scratch.path)/sa"))
        let api = ScriptedTransport([
            .response(status: 200, body: jobJSON("a", resourceVersion: "1")),
            .response(status: 401, body: statusJSON(401, "Unauthorized", "Unauthorized")),
            .response(status: 200, body: jobJSON("a", resourceVersion: "2")),
        ])
        let client = KubeClient(server: connection.server, transport: api, credentials: connection.credentials,
                                retry: DelayRecorder().policy())
        _ = try await client.get(Job.self, named: "a", in: "ns")
        try scratch.write("sa/token", "after-rotation")
        _ = try await client.get(Job.self, named: "a", in: "ns")
        #expect(api.headers.map { $0["authorization"] } == [
            "Bearer before-rotation", "Bearer before-rotation", "Bearer after-rotation",
        ])
    }

    /// A 401 for a cached, unexpired EKS token (the keys were rotated): the token is made again from
    /// credentials read afresh, and the request repeated with it.
    @Test func eksTokenIsRemadeFromFreshCredentialsAfterA401() async throws {
        let scratch = try Scratch()
        let file = try scratch.write("credentials", "[default]\naws_access_key_id = AKIAOLD\naws_secret_access_key = old\n")
        let time = ManualTime("2026-03-08T07:30:15Z")
        let chain = AWSCredentialChain(
            environment: ["AWS_SHARED_CREDENTIALS_FILE": file, "HOME": scratch.path], transport: ScriptedTransport([]),
            now: { time.now() })
        let source = EKSTokenSource(cluster: "batch", region: "ap-northeast-1", chain: chain, now: { time.now() })
        let api = ScriptedTransport([
            .response(status: 200, body: jobJSON("a", resourceVersion: "1")),
            .response(status: 401, body: statusJSON(401, "Unauthorized", "Unauthorized")),
            .response(status: 200, body: jobJSON("a", resourceVersion: "2")),
        ])
        let client = KubeClient(server: "https://c", transport: api, credentials: source, retry: DelayRecorder().policy())
        _ = try await client.get(Job.self, named: "a", in: "ns")
        try scratch.write("credentials", "[default]\naws_access_key_id = AKIANEW\naws_secret_access_key = new\n")
        time.advance(seconds: 60)
        _ = try await client.get(Job.self, named: "a", in: "ns")
        let urls = api.headers.map { presignedURL(inAuthorization: $0["authorization"] ?? "") }
        #expect(urls.count == 3)
        #expect(urls[0].contains("X-Amz-Credential=AKIAOLD%2F20260308%2Fap-northeast-1%2Fsts%2Faws4_request"))
        #expect(urls[1] == urls[0])  // still cached: 13 minutes left
        #expect(urls[2].contains("X-Amz-Credential=AKIANEW%2F20260308%2Fap-northeast-1%2Fsts%2Faws4_request"))
        #expect(urls[2].contains("X-Amz-Date=20260308T073115Z"))
    }

    /// A profile in the config file may name a web identity (`web_identity_token_file`, `role_arn`),
    /// as IRSA's generated profiles do: its token is exchanged at STS in the profile's region.
    @Test func webIdentityNamedByAProfile() async throws {
        let scratch = try Scratch()
        let tokenFile = try scratch.write("token", "eyJhbGciOiJSUzI1NiJ9.projected.token\n")
        let config = try scratch.write("config", """
            [profile irsa]
            region = eu-west-1
            role_arn = arn:aws:iam::123456789012:role/from-profile
            web_identity_token_file = \(tokenFile)
            """)
        let sts = ScriptedTransport([.response(status: 200, body: """
            <AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials>
            <AccessKeyId>ASIAPROFILE</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken>
            <Expiration>2026-03-08T08:30:15Z</Expiration></Credentials></AssumeRoleWithWebIdentityResult>
            </AssumeRoleWithWebIdentityResponse>
            """)])
        let chain = AWSCredentialChain(
            environment: ["AWS_CONFIG_FILE": config, "AWS_PROFILE": "irsa", "HOME": scratch.path], transport: sts,
            now: { RFC3339.parse("2026-03-08T07:30:15Z")! })
        let found = try await chain.credentials()
        #expect(found.accessKeyID == "ASIAPROFILE")
        #expect(found.source == "web identity (arn:aws:iam::123456789012:role/from-profile)")
        #expect(sts.requests == ["POST https://sts.eu-west-1.amazonaws.com/"])
    }
}

/// The presigned STS URL inside an `Authorization: Bearer k8s-aws-v1.…` header.
func presignedURL(inAuthorization header: String) -> String {
    var payload = String(header.dropFirst("Bearer k8s-aws-v1.".count))
        .replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
    payload += String(repeating: "=", count: (4 - payload.count % 4) % 4)
    return Data(base64Encoded: payload).map { String(decoding: $0, as: UTF8.self) } ?? "not base64: \(header)"
}
