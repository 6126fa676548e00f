import HTTP
import Foundation
import Testing

@testable import Kubernetes

/// `ClusterConnection.resolve` tries the credential sources in the order the README documents and
/// stops at the first that applies: `--kubeconfig`, `--eks-cluster`, `KUBECONFIG` (merged, first
/// file wins) or `~/.kube/config`, then the in-cluster service account.
@Suite struct ResolveOrderTests {
    static let now: @Sendable () -> Date = { RFC3339.parse("2026-03-08T07:30:15Z")! }

    /// A kubeconfig with one cluster, user and context, all called `name`, at `server`.
    static func kubeconfig(_ name: String, server: String, current: Bool = true) -> String {
        """
        apiVersion: v1
        kind: Config
        \(current ? "current-context: \(name)" : "")
        clusters:
        - name: \(name)
          cluster: {server: "\(server)", certificate-authority-data: \(Data("CA".utf8).base64EncodedString())}
        users:
        - name: \(name)
          user: {token: token-\(name)}
        contexts:
        - name: \(name)
          context: {cluster: \(name), user: \(name)}
        """
    }

    @Test func kubeconfigOptionWinsOverEKSAndTheEnvironment() async throws {
        let scratch = try Scratch()
        let chosen = try scratch.write("chosen", Self.kubeconfig("chosen", server: "https://chosen:6443"))
        let listed = try scratch.write("listed", Self.kubeconfig("listed", server: "https://listed:6443"))
        let aws = ScriptedTransport([])
        let connection = try await ClusterConnection.resolve(
            ConnectionOptions(kubeconfig: chosen, eksCluster: "batch", region: "ap-northeast-1"),
            environment: ["KUBECONFIG": listed, "AWS_ACCESS_KEY_ID": "AKIA", "AWS_SECRET_ACCESS_KEY": "s"],
            awsTransport: aws, now: Self.now)
        #expect(connection.server == "https://chosen:6443")
        #expect(aws.requests.isEmpty)  // EKS was never asked
    }

    @Test func eksClusterOptionWinsOverTheKubeconfigFiles() async throws {
        let scratch = try Scratch()
        let listed = try scratch.write("listed", Self.kubeconfig("listed", server: "https://listed:6443"))
        let aws = ScriptedTransport([.response(status: 200, body: """
            {"cluster":{"endpoint":"https://EKS.gr7.ap-northeast-1.eks.amazonaws.com",
             "certificateAuthority":{"data":"\(Data("CA".utf8).base64EncodedString())"}}}
            """)])
        let connection = try await ClusterConnection.resolve(
            ConnectionOptions(eksCluster: "batch", region: "ap-northeast-1"),
            environment: ["KUBECONFIG": listed, "AWS_ACCESS_KEY_ID": "AKIA", "AWS_SECRET_ACCESS_KEY": "s"],
            awsTransport: aws, now: Self.now)
        #expect(connection.server == "https://EKS.gr7.ap-northeast-1.eks.amazonaws.com")
        #expect(connection.credentials is EKSTokenSource)
    }

    /// `KUBECONFIG` lists files that are merged as kubectl merges them: the first file to name a
    /// context, cluster or user wins, and the first `current-context` is used; `--context` may pick
    /// a context that only a later file has.
    @Test func kubeconfigFilesInTheEnvironmentAreMergedFirstWins() async throws {
        let scratch = try Scratch()
        let first = try scratch.write("first", Self.kubeconfig("shared", server: "https://first:6443"))
        let second = try scratch.write(
            "second", Self.kubeconfig("shared", server: "https://second:6443") + "\n" + """
            - name: extra
              context: {cluster: shared, user: shared, namespace: extra}
            """)
        let environment = ["KUBECONFIG": "\(first):\(scratch.path)/missing:\(second)", "HOME": "/nonexistent"]
        let merged = try await ClusterConnection.resolve(
            ConnectionOptions(), environment: environment, awsTransport: ScriptedTransport([]), now: Self.now)
        #expect(merged.server == "https://first:6443")
        #expect(try await merged.credentials.authorizationHeader(refreshing: false) == "Bearer token-shared")
        let extra = try await ClusterConnection.resolve(
            ConnectionOptions(context: "extra"), environment: environment, awsTransport: ScriptedTransport([]),
            now: Self.now)
        #expect(extra.namespace == "extra")
        #expect(extra.server == "https://first:6443")  // the context is the second file's, the cluster the first's
    }

    @Test func homeKubeconfigIsUsedWithoutKUBECONFIG() async throws {
        let scratch = try Scratch()
        try scratch.write(".kube/config", Self.kubeconfig("home", server: "https://home:6443"))
        let connection = try await ClusterConnection.resolve(
            ConnectionOptions(), environment: ["HOME": scratch.path], awsTransport: ScriptedTransport([]), now: Self.now)
        #expect(connection.server == "https://home:6443")
    }

    /// Nothing applies (no options, no kubeconfig, not in a pod): the error says what was looked at.
    @Test func nothingFoundSaysWhatWasTried() async throws {
        let scratch = try Scratch()
        await #expect {
            try await ClusterConnection.resolve(
                ConnectionOptions(), environment: ["HOME": scratch.path], awsTransport: ScriptedTransport([]), now: Self.now)
        } throws: { error in
            let text = "\(error)"
            return text.contains("no --kubeconfig, no --eks-cluster, no kubeconfig at \(scratch.path)/.kube/config")
                && text.contains("not running in a pod")
        }
    }
}
