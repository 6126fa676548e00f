import AWS
import HTTP
import ArgumentParser
import Foundation
import Kubernetes

/// `fargate-cron token`: prints an EKS `ExecCredential`, as `aws eks get-token` does, made natively
/// from the AWS credentials fargate-cron finds. kubectl can use it as its exec plugin, and an operator
/// can see which identity the daemon will use.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Print an EKS ExecCredential (like `aws eks get-token`) from the AWS credentials found.",
        discussion: """
            AWS credentials are looked for in this order: --profile in the shared files; AWS_ACCESS_KEY_ID \
            and AWS_SECRET_ACCESS_KEY; web identity (AWS_WEB_IDENTITY_TOKEN_FILE with AWS_ROLE_ARN); the \
            profile AWS_PROFILE (or default) in ~/.aws/credentials, then ~/.aws/config.
            """
    )

    @Option(help: "The EKS cluster name (signed into the token as x-k8s-aws-id).")
    var cluster: String

    @Option(help: "The cluster's region (default: AWS_REGION, AWS_DEFAULT_REGION).")
    var region: String?

    @Option(help: "The AWS profile to sign with.")
    var profile: String?

    /// Signs as of this instant instead of now; for comparing with `aws eks get-token` under a frozen clock.
    @Option(help: .hidden)
    var signingTime: String?

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        guard let region = region ?? environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"] else {
            throw ValidationError("no region: give --region or set AWS_REGION")
        }
        var instant = Date()
        if let signingTime {
            guard let parsed = try? Date(signingTime, strategy: .iso8601) else {
                throw ValidationError("--signing-time \(signingTime) is not an ISO 8601 instant")
            }
            instant = parsed
        }
        let fixed = instant
        let chain = AWSCredentialChain(
            environment: environment, profile: profile, transport: CurlTransport(), now: { fixed })
        let source = EKSTokenSource(cluster: cluster, region: region, chain: chain, now: { fixed })
        let token = try await source.token()
        print(token.execCredentialJSON(apiVersion: Self.apiVersion(environment)), terminator: "")
    }

    /// The version kubectl asks for in `KUBERNETES_EXEC_INFO`, v1beta1 otherwise (as the AWS CLI does).
    static func apiVersion(_ environment: [String: String]) -> String {
        let fallback = "client.authentication.k8s.io/v1beta1"
        guard let info = environment["KUBERNETES_EXEC_INFO"], let data = info.data(using: .utf8),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let version = object["apiVersion"] as? String,
            ["client.authentication.k8s.io/v1", fallback].contains(version)
        else { return fallback }
        return version
    }
}
