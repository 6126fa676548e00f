import HTTP
import Foundation
import TestSupport
import Testing

@testable import Kubernetes

/// The built `fargate-cron` binary (scripts/test builds it with the tests).
enum Binary {
    static let path = Fixture.repository.appendingPathComponent(".build/debug/fargate-cron").path
    static var exists: Bool { FileManager.default.isExecutableFile(atPath: path) }

    static func run(_ arguments: [String], environment: [String: String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }
}

@Suite(.enabled(if: Binary.exists, "needs the built fargate-cron binary"))
struct TokenCommandTests {
    static let fixtureEnvironment = [
        "HOME": "/nonexistent", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        "AWS_SESSION_TOKEN": "FwoGZXIvYXdzEXAMPLE/session+token==",
    ]

    /// `fargate-cron token` prints, byte for byte, what `aws eks get-token` printed for the same
    /// credentials, cluster, region and (frozen) instant.
    @Test func tokenCommandPrintsWhatTheAWSCLIPrints() throws {
        let result = try Binary.run(
            ["token", "--cluster", "nightly-batch", "--region", "ap-northeast-1", "--signing-time", "2026-03-08T07:30:15Z"],
            environment: Self.fixtureEnvironment)
        #expect(result.status == 0)
        #expect(result.output == (try Fixture.text("aws-eks-get-token.json")))
    }

    /// `--profile` picks the keys from the shared credentials file over the environment's, and the
    /// region may come from `AWS_REGION`: the same fixture credentials give the same output.
    @Test func tokenCommandSignsWithTheChosenProfile() throws {
        let scratch = try Scratch()
        let file = try scratch.write("credentials", """
            [fixture]
            aws_access_key_id = AKIDEXAMPLE
            aws_secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
            aws_session_token = FwoGZXIvYXdzEXAMPLE/session+token==
            """)
        let environment = [
            "HOME": scratch.path, "AWS_SHARED_CREDENTIALS_FILE": file, "AWS_REGION": "ap-northeast-1",
            "AWS_ACCESS_KEY_ID": "AKIAOTHER", "AWS_SECRET_ACCESS_KEY": "other-secret",
        ]
        let result = try Binary.run(
            ["token", "--cluster", "nightly-batch", "--profile", "fixture", "--signing-time", "2026-03-08T07:30:15Z"],
            environment: environment)
        #expect(result.status == 0)
        #expect(result.output == (try Fixture.text("aws-eks-get-token.json")))
    }

    /// `--version` and every request's `User-Agent` name one version (`ProductVersion`).
    @Test func versionIsTheOneTheUserAgentNames() throws {
        let result = try Binary.run(["--version"], environment: [:])
        #expect(result.status == 0)
        #expect(result.output == ProductVersion.version + "\n")
        #expect(ProductVersion.userAgent == "fargate-cron/\(ProductVersion.version)")
    }

    @Test func tokenCommandAnswersKubectlsExecInfoVersion() throws {
        var environment = Self.fixtureEnvironment
        environment["KUBERNETES_EXEC_INFO"] = #"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":false}}"#
        let result = try Binary.run(["token", "--cluster", "c", "--region", "us-east-1"], environment: environment)
        #expect(result.status == 0)
        #expect(result.output.contains(#""apiVersion": "client.authentication.k8s.io/v1","#))
    }

    /// kubectl's way: a kubeconfig whose user runs `fargate-cron token` as its exec plugin, with the
    /// cluster's CA from a file, against the emulator over HTTPS.
    @Test(.enabled(if: Peer.isRunning)) func kubeconfigWithFargateCronAsExecPluginReachesTheCluster() async throws {
        try Curl.ready()
        let scratch = try Scratch()
        let path = try scratch.write("config", """
            apiVersion: v1
            kind: Config
            current-context: test
            clusters:
            - name: emulator
              cluster:
                server: \(Peer.https)
                certificate-authority: \(Peer.environment["FARGATE_CRON_TEST_KUBE_CA"]!)
            users:
            - name: eks
              user:
                exec:
                  apiVersion: client.authentication.k8s.io/v1beta1
                  command: \(Binary.path)
                  args: [token, --cluster, emulator, --region, ap-northeast-1]
            contexts:
            - name: test
              context: {cluster: emulator, user: eks, namespace: exec-plugin}
            """)
        let connection = try await ClusterConnection.resolve(
            ConnectionOptions(kubeconfig: path), environment: Self.fixtureEnvironment, awsTransport: CurlTransport(),
            now: { RFC3339.parse("2026-03-08T07:30:15Z")! })
        let header = try await connection.credentials.authorizationHeader(refreshing: false)
        #expect(header?.hasPrefix("Bearer k8s-aws-v1.") == true)
        let client = connection.makeClient()
        let created = try await client.create(sampleJob("via-exec"), in: connection.namespace!)
        #expect(created.metadata.uid != nil)
    }

    /// In a pod: the service-account files and KUBERNETES_SERVICE_* point at the emulator's HTTPS port.
    @Test(.enabled(if: Peer.isRunning)) func inClusterConfigurationReachesTheCluster() async throws {
        try Curl.ready()
        let scratch = try Scratch()
        try scratch.write("sa/token", "sa-token")
        try scratch.write("sa/ca.crt", String(decoding: try Peer.caPEM(), as: UTF8.self))
        try scratch.write("sa/namespace", "in-cluster")
        let url = URL(string: Peer.https)!
        let connection = try #require(try ClusterConnection.inCluster(
            environment: ["KUBERNETES_SERVICE_HOST": url.host!, "KUBERNETES_SERVICE_PORT": String(url.port!)],
            directory: "\(scratch.path)/sa"))
        let list = try await connection.makeClient().list(Job.self, in: connection.namespace)
        #expect(list.items.allSatisfy { $0.metadata.namespace == "in-cluster" })
    }
}

/// Mutual TLS: a kubeconfig user with `client-certificate-data`/`client-key-data` against the
/// emulator's port that demands a client certificate.
@Suite(.enabled(if: Peer.environment["FARGATE_CRON_TEST_KUBE_MTLS"] != nil, "needs the emulator's mTLS port"))
struct ClientCertificateTests {
    enum Identity: Sendable { case inline, files, token }

    func kubeconfig(_ scratch: Scratch, _ identity: Identity) throws -> String {
        let certificatePath = Peer.environment["FARGATE_CRON_TEST_KUBE_CLIENT_CERT"]!
        let keyPath = Peer.environment["FARGATE_CRON_TEST_KUBE_CLIENT_KEY"]!
        let certificate = try Data(contentsOf: URL(fileURLWithPath: certificatePath))
        let key = try Data(contentsOf: URL(fileURLWithPath: keyPath))
        let user = switch identity {
        case .inline: "client-certificate-data: \(certificate.base64EncodedString())\n    client-key-data: \(key.base64EncodedString())"
        case .files: "client-certificate: \(certificatePath)\n    client-key: \(keyPath)"
        case .token: "token: not-a-certificate"
        }
        return try scratch.write("config", """
            apiVersion: v1
            kind: Config
            current-context: mtls
            clusters:
            - name: emulator
              cluster:
                server: \(Peer.environment["FARGATE_CRON_TEST_KUBE_MTLS"]!)
                certificate-authority-data: \(try Peer.caPEM().base64EncodedString())
            users:
            - name: admin
              user:
                \(user)
            contexts:
            - name: mtls
              context: {cluster: emulator, user: admin, namespace: mtls}
            """)
    }

    /// `client-certificate-data`/`client-key-data`, or `client-certificate`/`client-key` files.
    @Test(arguments: [Identity.inline, .files])
    func clientCertificateFromTheKubeconfigIsAccepted(_ identity: Identity) async throws {
        try Curl.ready()
        let scratch = try Scratch()
        let connection = try Kubeconfig.load(path: try kubeconfig(scratch, identity))
            .connection(environment: [:])
        let created = try await connection.makeClient().create(sampleJob("mutual"), in: Peer.namespace("mtls"))
        #expect(created.metadata.uid != nil)
    }

    @Test func withoutAClientCertificateTheServerRefuses() async throws {
        try Curl.ready()
        let scratch = try Scratch()
        let connection = try Kubeconfig.load(path: try kubeconfig(scratch, .token))
            .connection(environment: [:])
        await #expect(throws: KubernetesError.self) {
            try await connection.makeClient(retry: RetryPolicy(maximumAttempts: 1)).list(Job.self, in: "mtls")
        }
    }
}
