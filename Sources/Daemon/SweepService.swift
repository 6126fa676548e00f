import FargateExecutor
import Foundation
import Logging
import Scheduler
import ServiceLifecycle
import Systemd

/// Runs the Kubernetes executor's garbage-collection sweep once the scheduler has re-attached the
/// ledger's runs (so a pod whose output a re-attached run still reads is left alone), then every
/// `interval`: whatever fargate-cron owns that is finished and past its time is deleted, also what a
/// killed daemon left behind.
struct SweepService: Service, CustomStringConvertible {
    let executor: KubernetesExecutor
    let jobs: KubernetesJobTable
    /// Set once the scheduler is ready (its runs re-attached).
    let ready: Latch<Void>
    let interval: Duration
    let logger: Logger

    var description: String { "SweepService(every \(interval))" }

    func run() async throws {
        guard await ready.wait() != nil else { return }
        while true {
            let result = await executor.sweep(jobs: jobs.all, dryRun: false)
            Self.log(result, logger: logger)
            do { try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) } } catch { return }
        }
    }

    /// One line per deletion (at notice: each is money saved or a leak found) and per error.
    static func log(_ result: SweepResult, logger: Logger) {
        for deletion in result.deleted {
            switch deletion.kind {
            case .pod:
                logger.log(RunEvent(
                    .podCollected, namespace: deletion.namespace, pod: deletion.name,
                    reason: "garbage collection: \(deletion.reason)"))
            case .job:
                logger.notice("garbage collection deleted \(deletion)")
            }
        }
        for error in result.errors {
            logger.error("garbage collection: \(error)")
        }
    }
}
