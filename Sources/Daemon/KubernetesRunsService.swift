import FargateExecutor
import ServiceLifecycle

/// Runs the kubernetes executor's followers (``KubernetesExecutor/followRuns()``: each run's watches,
/// tick and log streams) as a service of the daemon's `ServiceGroup`. Listed before the scheduler,
/// it stops after it: a graceful shutdown cancels every run's followers, and the runs themselves go
/// on in the cluster, to be re-attached by the next start.
struct KubernetesRunsService: Service, CustomStringConvertible {
    let executor: KubernetesExecutor

    var description: String { "KubernetesRunsService" }

    func run() async throws {
        // On a graceful shutdown the followers are cancelled, and awaited before this returns.
        await cancelWhenGracefulShutdown { await executor.followRuns() }
    }
}
