import FargateExecutor
import Foundation
import Kubernetes
import RunModel
import Scheduler

/// What a new leader records of the runs another leader started, decided from the cluster alone:
/// pure, so that it is tested on tables.
///
/// The new leader's ledger does not know the slots the previous leader ran. Before its scheduler
/// catches up on the gap between the two leaders, it must learn each job's latest slot from the
/// Jobs' `fargate-cron/scheduled-at` labels, or it would run those slots again. So every Job of a
/// loaded job whose slot is newer than the ledger's latest slot of that job is recorded:
/// - one that is still going, or finished but still has a pod (its output may be unread, its node
///   still bills), as started, to be followed to its end by the scheduler's re-attachment;
/// - one finished whose pods are gone, as started and ended, with the outcome its conditions say.
///
/// Older Jobs are the ledger's own, or older than anything it could catch up on. Jobs of jobs not
/// loaded here (another schedule set, a removed job) are left alone.
struct AdoptionPlan: Equatable {
    /// One run to record.
    struct Adoption: Equatable {
        var slot: Slot
        var trigger: Trigger
        var policy: ConcurrencyPolicy
        var handle: RunHandle
        /// When the Job was created.
        var startedAt: Date
        /// The host that created it (its `fargate-cron/started-by` annotation, else the previous leader).
        var startedBy: String?
        /// How it ended, for a Job finished and without pods; nil for one to follow.
        var outcome: RunOutcome?
        /// When it ended (its completion time), for a finished Job.
        var endedAt: Date?
    }

    /// The runs to record, oldest slot first within each job.
    var adoptions: [Adoption]

    /// The plan for the Jobs listed in the cluster.
    /// - Parameters:
    ///   - jobs: fargate-cron's Jobs (the `managed-by` label), from the namespaces of the loaded jobs.
    ///   - withPods: the names of the Jobs that still have a pod.
    ///   - settings: the loaded `kubernetes` jobs' settings, by job name.
    ///   - latest: the ledger's latest slot of each job that has one.
    ///   - previousLeader: the host that led before, for Jobs that do not say who created them.
    ///   - now: the present, for a Job without a creation time.
    static func plan(
        jobs: [Job], withPods: Set<String>, settings: [String: KubernetesJobSettings], latest: [String: Date],
        previousLeader: String?, now: Date
    ) -> AdoptionPlan {
        var adoptions: [Adoption] = []
        for job in jobs {
            let meta = job.metadata
            guard let name = meta.name, let namespace = meta.namespace, let labels = meta.labels,
                labels[OwnershipLabels.managedBy] == OwnershipLabels.managedByValue,
                let jobName = labels[OwnershipLabels.job], let own = settings[jobName], own.namespace == namespace,
                let slotLabel = labels[OwnershipLabels.scheduledAt], let scheduledAt = OwnershipLabels.slot(fromLabel: slotLabel)
            else { continue }
            if let last = latest[jobName], scheduledAt <= last { continue }
            let annotations = meta.annotations ?? [:]
            let finished = job.status?.isFinished == true
            var outcome: RunOutcome?
            if finished, !withPods.contains(name) {
                outcome = RunClassifier.verdict(job: job, pods: [], now: now, pendingTimeout: own.pendingTimeout).outcome
            }
            adoptions.append(Adoption(
                slot: Slot(job: jobName, scheduledAt: scheduledAt),
                trigger: annotations[OwnershipLabels.trigger].flatMap(Trigger.init(rawValue:)) ?? .scheduled,
                policy: own.concurrency,
                handle: RunHandle(executor: .kubernetes, reference: "\(namespace)/\(name)", uid: meta.uid),
                startedAt: meta.creationTimestamp ?? now,
                startedBy: annotations[OwnershipLabels.startedBy] ?? previousLeader,
                outcome: outcome,
                endedAt: outcome == nil ? nil : (job.status?.completionTime ?? job.status?.conditions?.compactMap(\.lastTransitionTime).max() ?? now)))
        }
        adoptions.sort { ($0.slot.job, $0.slot.scheduledAt) < ($1.slot.job, $1.slot.scheduledAt) }
        return AdoptionPlan(adoptions: adoptions)
    }
}
