@testable import AWS
import HTTP
import Foundation
import Synchronization
import Testing

@testable import Kubernetes

/// A scratch folder for one test, removed at the end.
final class Scratch {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "fargate-cron-kube-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    @discardableResult
    func write(_ name: String, _ text: String, executable: Bool = false) throws -> String {
        let file = "\(path)/\(name)"
        try FileManager.default.createDirectory(
            atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        if executable { try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: file) }
        return file
    }
}

final class ManualTime: Sendable {
    private let instant: Mutex<Date>
    init(_ text: String) { instant = Mutex(RFC3339.parse(text)!) }
    func now() -> Date { instant.withLock { $0 } }
    func advance(seconds: Double) { instant.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

@Suite struct KubeconfigTests {
    static let kubeconfig = """
        apiVersion: v1
        kind: Config
        current-context: prod
        clusters:
        - name: eks
          cluster:
            server: https://ABC.gr7.ap-northeast-1.eks.amazonaws.com
            certificate-authority-data: \(Data("-----BEGIN CERTIFICATE-----\nMIIB\n".utf8).base64EncodedString())
        - name: lab
          cluster:
            server: https://10.0.0.1:6443
            certificate-authority: ca.pem
        - name: careless
          cluster:
            server: https://10.0.0.2:6443
            insecure-skip-tls-verify: true
        users:
        - name: ops
          user:
            token: secret-token-value
        - name: rotating
          user:
            tokenFile: token
        - name: plugin
          user:
            exec:
              apiVersion: client.authentication.k8s.io/v1beta1
              command: aws
              args: [eks, get-token, --cluster-name, prod]
        contexts:
        - name: prod
          context: {cluster: eks, user: ops, namespace: batch}
        - name: lab
          context: {cluster: lab, user: rotating}
        - name: plugin
          context: {cluster: eks, user: plugin}
        - name: careless
          context: {cluster: careless, user: ops}
        """

    @Test func currentContextGivesServerCATokenAndNamespace() async throws {
        let scratch = try Scratch()
        let config = try Kubeconfig.load(path: try scratch.write("config", Self.kubeconfig))
        let connection = try config.connection(environment: [:])
        #expect(connection.server == "https://ABC.gr7.ap-northeast-1.eks.amazonaws.com")
        #expect(connection.tls.certificateAuthority == Data("-----BEGIN CERTIFICATE-----\nMIIB\n".utf8))
        #expect(connection.namespace == "batch")
        #expect(try await connection.credentials.authorizationHeader(refreshing: false) == "Bearer secret-token-value")
        #expect(connection.credentials.identity == "kubeconfig user \"ops\" (context \"prod\")")
    }

    @Test func relativeFilesAreReadBesideTheKubeconfig() async throws {
        let scratch = try Scratch()
        try scratch.write("ca.pem", "PEM")
        try scratch.write("token", "first\n")
        let config = try Kubeconfig.load(path: try scratch.write("config", Self.kubeconfig))
        let connection = try config.connection(context: "lab", environment: [:])
        #expect(connection.tls.certificateAuthority == Data("PEM".utf8))
        #expect(try await connection.credentials.authorizationHeader(refreshing: false) == "Bearer first")
    }

    @Test func skippingTLSVerificationIsRefused() throws {
        let scratch = try Scratch()
        let config = try Kubeconfig.load(path: try scratch.write("config", Self.kubeconfig))
        #expect {
            try config.connection(context: "careless", environment: [:])
        } throws: { "\($0)".contains("insecure-skip-tls-verify") }
    }

    @Test func unknownContextNamesTheOnesThereAre() throws {
        let scratch = try Scratch()
        let config = try Kubeconfig.load(path: try scratch.write("config", Self.kubeconfig))
        #expect {
            try config.connection(context: "staging", environment: [:])
        } throws: { "\($0)".contains("no context \"staging\" (it has: prod, lab, plugin, careless)") }
    }

    @Test func brokenYAMLNamesTheFile() throws {
        let scratch = try Scratch()
        let path = try scratch.write("config", "clusters: [oops")
        #expect { try Kubeconfig.load(path: path) } throws: { "\($0)".contains(path) }
    }

    @Test func tokenFileIsReReadWhenItRotates() async throws {
        let scratch = try Scratch()
        let path = try scratch.write("token", "one")
        let source = TokenFileSource(path: path, identity: "test", maximumAge: .seconds(3600))
        #expect(try await source.authorizationHeader(refreshing: false) == "Bearer one")
        try scratch.write("token", "two")
        #expect(try await source.authorizationHeader(refreshing: false) == "Bearer one")  // cached for a while
        #expect(try await source.authorizationHeader(refreshing: true) == "Bearer two")  // after a 401
        let eager = TokenFileSource(path: path, identity: "test", maximumAge: .zero)
        try scratch.write("token", "three")
        #expect(try await eager.authorizationHeader(refreshing: false) == "Bearer three")
    }

    @Test func inClusterReadsTheServiceAccountFiles() async throws {
        let scratch = try Scratch()
        try scratch.write("sa/token", "sa-token")
        try scratch.write("sa/ca.crt", "CA")
        try scratch.write("sa/namespace", "batch\n")
        let connection = try #require(try ClusterConnection.inCluster(
            environment: ["KUBERNETES_SERVICE_HOST": "10.100.0.1", "KUBERNETES_SERVICE_PORT": "443"],
            directory: "\(scratch.path)/sa"))
        #expect(connection.server == "https://10.100.0.1:443")
        #expect(connection.namespace == "batch")
        #expect(connection.tls.certificateAuthority == Data("CA".utf8))
        #expect(try await connection.credentials.authorizationHeader(refreshing: false) == "Bearer sa-token")
        #expect(try ClusterConnection.inCluster(environment: [:], directory: "\(scratch.path)/sa") == nil)
    }

    @Test(arguments: ["client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"])
    func execPluginTokenIsCachedUntilItExpires(_ version: String) async throws {
        let scratch = try Scratch()
        let counter = "\(scratch.path)/runs"
        let plugin = try scratch.write("plugin.sh", """
            #!/bin/sh
            echo run >> \(counter)
            case "$KUBERNETES_EXEC_INFO" in *'"\(version)"'*) ;; *) echo "bad exec info" >&2; exit 3;; esac
            printf '{"apiVersion":"\(version)","kind":"ExecCredential","status":{"token":"tok-%s","expirationTimestamp":"2999-01-01T00:00:00Z"}}' "$(wc -l < \(counter) | tr -d ' ')"
            """, executable: true)
        let source = try ExecPlugin(
            config: .init(apiVersion: version, command: plugin, args: [], env: []), environment: [:],
            identity: "kubeconfig user \"plugin\"", directory: scratch.path)
        #expect(try await source.authorizationHeader(refreshing: false) == "Bearer tok-1")
        #expect(try await source.authorizationHeader(refreshing: false) == "Bearer tok-1")
        #expect(try await source.authorizationHeader(refreshing: true) == "Bearer tok-2")
    }

    @Test func failingExecPluginReportsItsStandardError() async throws {
        let scratch = try Scratch()
        let plugin = try scratch.write("plugin.sh", "#!/bin/sh\necho 'no SSO session' >&2\nexit 255\n", executable: true)
        let source = try ExecPlugin(
            config: .init(apiVersion: "client.authentication.k8s.io/v1", command: plugin, args: nil, env: nil),
            environment: [:], identity: "u", directory: scratch.path)
        await #expect {
            try await source.authorizationHeader(refreshing: false)
        } throws: { "\($0)".contains("exited with status 255: no SSO session") }
    }
}

@Suite struct AWSCredentialTests {
    let keys = ["AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "env-secret"]

    func chain(_ environment: [String: String], profile: String? = nil, transport: any Transport = ScriptedTransport([]))
        -> AWSCredentialChain
    {
        AWSCredentialChain(environment: environment, profile: profile, transport: transport,
                           now: { RFC3339.parse("2026-03-08T07:30:15Z")! })
    }

    @Test func environmentKeysComeFirst() async throws {
        let found = try await chain(keys.merging(["HOME": "/nonexistent"]) { $1 }).credentials()
        #expect(found.accessKeyID == "AKIAENV")
        #expect(found.source == "environment (AWS_ACCESS_KEY_ID)")
    }

    @Test func profilesFromTheSharedFiles() async throws {
        let scratch = try Scratch()
        let credentials = try scratch.write("credentials", """
            [default]
            aws_access_key_id = AKIADEFAULT
            aws_secret_access_key = default-secret
            # a comment
            [ops]
            aws_access_key_id=AKIAOPS
            aws_secret_access_key=ops-secret
            aws_session_token=ops-session
            """)
        let config = try scratch.write("config", "[profile audit]\naws_access_key_id = AKIAAUDIT\naws_secret_access_key = s\n")
        let files = ["AWS_SHARED_CREDENTIALS_FILE": credentials, "AWS_CONFIG_FILE": config, "HOME": scratch.path]
        #expect(try await chain(files).credentials().accessKeyID == "AKIADEFAULT")
        #expect(try await chain(files.merging(["AWS_PROFILE": "ops"]) { $1 }).credentials().sessionToken == "ops-session")
        #expect(try await chain(files, profile: "audit").credentials().accessKeyID == "AKIAAUDIT")
        // An explicit --profile wins over keys in the environment.
        #expect(try await chain(files.merging(keys) { $1 }, profile: "ops").credentials().accessKeyID == "AKIAOPS")
        await #expect { try await chain(files, profile: "nobody").credentials() } throws: {
            "\($0)".contains("AWS profile \"nobody\" not found")
        }
    }

    @Test func nothingFoundSaysWhereItLooked() async throws {
        await #expect { try await chain(["HOME": "/nonexistent"]).credentials() } throws: { error in
            let text = "\(error)"
            return text.contains("AWS_ACCESS_KEY_ID") && text.contains("AWS_WEB_IDENTITY_TOKEN_FILE")
                && text.contains("/nonexistent/.aws/credentials")
        }
    }

    /// IRSA: the projected token is exchanged at STS (here a scripted answer in STS's own XML).
    @Test func webIdentityAssumesTheRole() async throws {
        let scratch = try Scratch()
        let tokenFile = try scratch.write("token", "eyJhbGciOiJSUzI1NiJ9.projected.token\n")
        let transport = ScriptedTransport([.response(status: 200, body: """
            <AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
              <AssumeRoleWithWebIdentityResult>
                <Credentials>
                  <AccessKeyId>ASIAROLE</AccessKeyId>
                  <SecretAccessKey>role-secret</SecretAccessKey>
                  <SessionToken>role-session</SessionToken>
                  <Expiration>2026-03-08T08:30:15Z</Expiration>
                </Credentials>
              </AssumeRoleWithWebIdentityResult>
            </AssumeRoleWithWebIdentityResponse>
            """)])
        let environment = [
            "AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile, "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/fargate-cron",
            "AWS_REGION": "ap-northeast-1", "HOME": "/nonexistent",
        ]
        let aws = chain(environment, transport: transport)
        let found = try await aws.credentials()
        #expect(found.accessKeyID == "ASIAROLE")
        #expect(found.sessionToken == "role-session")
        #expect(found.expiration == RFC3339.parse("2026-03-08T08:30:15Z"))
        #expect(transport.requests == ["POST https://sts.ap-northeast-1.amazonaws.com/"])
        _ = try await aws.credentials()  // cached: an hour left
        #expect(transport.requests.count == 1)
    }

    @Test func eksTokensAreCachedAndRenewedBeforeTheyExpire() async throws {
        let time = ManualTime("2026-03-08T07:30:15Z")
        let aws = AWSCredentialChain(environment: keys, transport: ScriptedTransport([]), now: { time.now() })
        let source = EKSTokenSource(cluster: "c", region: "us-east-1", chain: aws, now: { time.now() })
        let first = try await source.token()
        time.advance(seconds: 12 * 60)
        #expect(try await source.token() == first)
        time.advance(seconds: 90)  // 13.5 minutes: within a minute of the 14-minute expiry
        let second = try await source.token()
        #expect(second != first)
        #expect(second.expiration == time.now().addingTimeInterval(14 * 60))
        #expect(source.identity.contains("cluster \"c\""))
        #expect(!source.identity.contains("env-secret"))
    }

    /// `--eks-cluster`: DescribeCluster is signed with SigV4 for service `eks`, and its endpoint and
    /// CA become the connection, with native EKS tokens as credentials.
    @Test func eksClusterOptionDescribesTheClusterAndSignsTokens() async throws {
        let ca = Data("-----BEGIN CERTIFICATE-----\nEKS\n-----END CERTIFICATE-----\n".utf8)
        let transport = ScriptedTransport([.response(status: 200, body: """
            {"cluster":{"name":"batch","arn":"arn:aws:eks:ap-northeast-1:123456789012:cluster/batch",
             "endpoint":"https://ABC.gr7.ap-northeast-1.eks.amazonaws.com","status":"ACTIVE",
             "certificateAuthority":{"data":"\(ca.base64EncodedString())"}}}
            """)])
        let connection = try await ClusterConnection.resolve(
            ConnectionOptions(eksCluster: "batch", region: "ap-northeast-1"),
            environment: keys.merging(["HOME": "/nonexistent"]) { $1 }, awsTransport: transport,
            now: { RFC3339.parse("2026-03-08T07:30:15Z")! })
        #expect(connection.server == "https://ABC.gr7.ap-northeast-1.eks.amazonaws.com")
        #expect(connection.tls.certificateAuthority == ca)
        #expect(transport.requests == ["GET https://eks.ap-northeast-1.amazonaws.com/clusters/batch"])
        let authorization = transport.headers.first?["authorization"] ?? ""
        #expect(authorization.hasPrefix(
            "AWS4-HMAC-SHA256 Credential=AKIAENV/20260308/ap-northeast-1/eks/aws4_request, SignedHeaders=host;x-amz-date, Signature="))
        #expect(transport.headers.first?["x-amz-date"] == "20260308T073015Z")
        let header = try await connection.credentials.authorizationHeader(refreshing: false)
        #expect(header?.hasPrefix("Bearer k8s-aws-v1.") == true)
        #expect(connection.credentials.identity.contains("cluster \"batch\" in ap-northeast-1"))
    }

    @Test func eksClusterWithoutARegionSaysSo() async throws {
        await #expect {
            try await ClusterConnection.resolve(
                ConnectionOptions(eksCluster: "batch"), environment: keys, awsTransport: ScriptedTransport([]),
                now: { RFC3339.parse("2026-03-08T07:30:15Z")! })
        } throws: { "\($0)".contains("--eks-cluster batch needs --region") }
    }
}
