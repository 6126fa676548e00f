import Foundation
import Kubernetes
import Logging
import RunModel
import Scheduler
import Systemd

/// The follower's synchronous steps, each out of line: what an async function of the follower
/// inlines lives in its async frame, and a run's task keeps its largest chain of async frames until
/// the run ends (a thousand runs in flight, a thousand of these). Called from
/// ``RunFollower/advance(_:in:)``, ``RunFollower/decide(_:_:now:)`` and ``RunFollower/resync(_:)``.
extension RunFollower {
    /// What the Job and its pods say of the run now.
    @inline(never)
    func classify(_ state: State, now: Date) -> RunVerdict {
        RunClassifier.verdict(job: state.job, pods: Array(state.pods.values), now: now,
                              pendingTimeout: settings.pendingTimeout, mainContainer: settings.mainContainer)
    }

    /// An undecided run whose Job was deleted or which was cancelled: failed.
    @inline(never)
    func giveUp(_ state: State) {
        state.verdict = .failed(.exitStatus, exitCode: nil, reason: state.cancelled ?? "its Job \(name) was deleted")
    }

    /// Takes a decided verdict, and what it calls for: the Job deleted when the main container ended
    /// while an ordinary container beside it runs on (the pod would never finish by itself, billed all
    /// along), or when the run was stuck pending (told as its own run event).
    @inline(never)
    func settle(_ verdict: RunVerdict, _ state: State) {
        state.verdict = verdict
        let held = RunClassifier.podsHeldBySidecars(Array(state.pods.values), mainContainer: settings.mainContainer)
        if !held.isEmpty, state.job.status?.isFinished != true, !state.jobGone {
            state.jobDeletion = "its main container ended while another container of pod \(held.joined(separator: ", ")) still ran"
        }
        if case .failed(.pendingTimeout, _, let reason) = verdict {
            logger.log(RunEvent(
                .stuckPending, job: settings.jobName, runID: request.run.description,
                scheduledAt: request.slot.scheduledAt, namespace: settings.namespace, kubernetesJob: name,
                reason: "\(reason); its Job is deleted"))
            state.jobDeletion = reason
        }
    }

    /// The run's Job as read afresh: taken if it is still the one this run made, gone otherwise
    /// (deleted, or replaced by another of the same name).
    @inline(never)
    func adopt(_ found: Job?, into state: State) {
        if let job = found, job.metadata.uid == created.metadata.uid {
            state.job = job.trimmedForCache()
        } else {
            state.jobGone = true
        }
    }

    /// A fresh read of the Job (or a list of its pods) failed: the cache's view stands.
    @inline(never)
    func warnReadFailed(_ error: KubernetesError, listingPods: Bool) {
        let job = "\(settings.namespace)/\(name)"
        let what = listingPods ? "listing the pods of Job \(job)" : "reading Job \(job) afresh"
        logger.warning("\(what) failed; the cache's view is used: \(error)")
    }

    /// A finished pod's delete failed: the pods wait for its retry, a second later.
    @inline(never)
    func retryDeleting(pod: String, after error: KubernetesError, _ state: State) {
        logger.error("deleting finished pod \(settings.namespace)/\(pod) failed (retried in a second): \(error)")
        state.retryAt = clock.now() + Self.retryDelay
    }

    @inline(never)
    func warnJobDeleteFailed(why: String, _ error: KubernetesError) {
        logger.error("deleting Job \(settings.namespace)/\(name) (\(why)) failed (retried in a second): \(error)")
    }
}
