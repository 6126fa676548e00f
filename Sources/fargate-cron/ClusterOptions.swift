import HTTP
import ArgumentParser
import Foundation
import Kubernetes

/// How to reach the cluster: `--kubeconfig`, `--context`, `--eks-cluster`, `--region`, `--profile`,
/// each also from `FARGATE_CRON_<OPTION>`, so the unit file can read them from
/// `/etc/default/fargate-cron`. Shared by `daemon` and `gc`.
struct ClusterOptions: ParsableArguments {
    @Option(help: "A kubeconfig file (default: $FARGATE_CRON_KUBECONFIG, else $KUBECONFIG or ~/.kube/config, else in-cluster).")
    var kubeconfig: String?

    @Option(help: "The kubeconfig context (default: $FARGATE_CRON_CONTEXT, else the current context).")
    var context: String?

    @Option(help: "Use native EKS tokens for this cluster, no kubeconfig (default: $FARGATE_CRON_EKS_CLUSTER).")
    var eksCluster: String?

    @Option(help: "The AWS region of --eks-cluster and of the ecs jobs (default: $FARGATE_CRON_REGION, else $AWS_REGION).")
    var region: String?

    @Option(help: "The AWS profile for --eks-cluster and the ecs jobs (default: $FARGATE_CRON_PROFILE, else the usual chain).")
    var profile: String?

    /// The options, each falling back to its `FARGATE_CRON_` variable.
    func resolved(in environment: [String: String]) -> ConnectionOptions {
        func value(_ option: String?, _ variable: String) -> String? {
            option ?? environment["FARGATE_CRON_\(variable)"].flatMap { $0.isEmpty ? nil : $0 }
        }
        return ConnectionOptions(
            kubeconfig: value(kubeconfig, "KUBECONFIG"), context: value(context, "CONTEXT"),
            eksCluster: value(eksCluster, "EKS_CLUSTER"), region: value(region, "REGION"), profile: value(profile, "PROFILE"))
    }

    /// Finds the cluster and makes a client for it (see `ClusterConnection.resolve`).
    /// - Throws: ``KubernetesError/configuration(_:)`` saying what was tried.
    func connect(environment: [String: String]) async throws(KubernetesError) -> KubeClient {
        let connection = try await ClusterConnection.resolve(
            resolved(in: environment), environment: environment, awsTransport: CurlTransport(), now: { Date() })
        return connection.makeClient()
    }
}
