public import Foundation
public import Kubernetes
public import Scheduler

/// Who a failed run's failure belongs to.
public enum FailureKind: String, Hashable, Sendable, Codable {
    /// The command exited non-zero (after the Job's retries).
    case exitStatus
    /// The container went over its memory limit and was killed (`OOMKilled`).
    case outOfMemory
    /// The Job ran past `activeDeadlineSeconds` (`CRON_TIMEOUT`).
    case deadlineExceeded
    /// The platform, not the job: Fargate evicted or lost the pod (maintenance, capacity).
    case platformEviction
    /// The platform, not the job: the pod stayed Pending past `CRON_PENDING_TIMEOUT` (no Fargate
    /// profile matches its namespace and labels, no capacity, an image that cannot be pulled).
    case pendingTimeout
    /// The cluster keeps the run from starting, and would go on doing so (``StartBlocker``): a Pod
    /// Security or quota refusal, a missing service account, an image that cannot be pulled, no node.
    /// Found early, before the pending timeout; the job's configuration or the cluster's to mend.
    case cannotStart

    /// Whether the failure is the platform's rather than the job's own.
    public var isPlatformFailure: Bool { self == .platformEviction || self == .pendingTimeout }
}

/// Where one run stands, read from its Job and pods.
public enum RunVerdict: Hashable, Sendable {
    /// No pod has started running yet; `since` is when the run began waiting (the Job's creation).
    case pending(since: Date?)
    /// A pod is running.
    case running
    /// The Job completed.
    case succeeded
    /// The Job failed, and why.
    case failed(FailureKind, exitCode: Int32?, reason: String)

    /// The outcome to record, or `nil` while the run goes on. Platform failures say so in the reason,
    /// since ``RunOutcome`` has no case of its own for them.
    public var outcome: RunOutcome? {
        switch self {
        case .pending, .running: nil
        case .succeeded: .succeeded
        case .failed(let kind, let code, let reason):
            .failed(exitCode: code, reason: kind.isPlatformFailure ? "platform failure: \(reason)" : reason)
        }
    }
}

/// Classifies a run from what the API says of its Job and pods: pure, so that it is tested on JSON.
public enum RunClassifier {
    /// The pod reasons and condition reasons that mean the platform took the pod away.
    static let evictionReasons: Set<String> = [
        "Evicted", "Preempting", "NodeLost", "DeletionByTaintManager", "EvictionByEvictionAPI",
        "TerminationByKubelet", "PreemptionByScheduler", "DeletionByPodGC",
    ]

    /// The verdict on a run.
    /// - Parameters:
    ///   - job: the run's Job as last seen.
    ///   - pods: its pods as last seen (any order).
    ///   - now: the present, for the pending timeout.
    ///   - pendingTimeout: how long the run may wait for its first pod to run.
    ///   - mainContainer: the container whose end is the run's (`CRON_CONTAINER`); `nil` for the pod's
    ///     first container.
    public static func verdict(
        job: Job, pods: [Pod], now: Date, pendingTimeout: Duration, mainContainer: String? = nil
    ) -> RunVerdict {
        let ordered = pods.sorted { ($0.metadata.creationTimestamp ?? .distantPast) < ($1.metadata.creationTimestamp ?? .distantPast) }
        let conditions = job.status?.conditions?.filter { $0.status == "True" } ?? []
        if conditions.contains(where: { $0.type == "Complete" || $0.type == "SuccessCriteriaMet" }) { return .succeeded }
        if let failed = conditions.first(where: { $0.type == "Failed" || $0.type == "FailureTarget" }) {
            return failure(jobCondition: failed, pods: ordered, main: mainContainer)
        }
        // A finished pod the Job controller has not yet judged: with restartPolicy Never and no
        // retries left the Job fails the same way, so a platform failure is reported at once.
        if let last = ordered.last, last.status?.phase == "Failed", let eviction = evictionReason(of: last) {
            return .failed(.platformEviction, exitCode: exitCode(of: last, main: mainContainer), reason: eviction)
        }
        // The main container ended while an ordinary container beside it (a sidecar written before
        // Kubernetes had native ones) still runs: the pod, and so the Job, would wait for it, maybe
        // until the timeout, billed all along. The main container's end is the run's.
        if let last = ordered.last, last.status?.isFinished != true, let ended = mainEndedBesideRunningContainers(last, main: mainContainer) {
            if ended.exitCode == 0 { return .succeeded }
            return mainFailure(ended, in: last, main: mainContainer, jobReason: nil)
        }
        // A finished pod whose Job is not yet judged counts as running: the verdict is the Job's to give.
        if ordered.contains(where: { $0.status?.phase == "Running" || $0.status?.isFinished == true || runningStart(of: $0) != nil }) {
            return .running
        }
        let since = job.metadata.creationTimestamp ?? job.status?.startTime
        if let since, now.timeIntervalSince(since) > Double(pendingTimeout.components.seconds) {
            let detail = ordered.last.flatMap(waitingReason(of:)).map { " (\($0))" } ?? ""
            return .failed(.pendingTimeout, exitCode: nil,
                           reason: "pending for longer than \(Int(pendingTimeout.components.seconds)) s\(detail)")
        }
        return .pending(since: since)
    }

    static func failure(jobCondition: JobCondition, pods: [Pod], main: String?) -> RunVerdict {
        let jobReason = jobCondition.reason ?? "Failed"
        let last = pods.last { $0.status?.phase == "Failed" } ?? pods.last
        if jobReason == "DeadlineExceeded" {
            return .failed(.deadlineExceeded, exitCode: last.flatMap { exitCode(of: $0, main: main) },
                           reason: "DeadlineExceeded: \(jobCondition.message ?? "the run was longer than its timeout")")
        }
        if let last {
            if let eviction = evictionReason(of: last) {
                return .failed(.platformEviction, exitCode: exitCode(of: last, main: main), reason: "\(eviction) (\(jobReason))")
            }
            if let terminated = terminatedState(of: last, main: main) {
                return mainFailure(terminated, in: last, main: main, jobReason: jobReason)
            }
            // The main container never ran: an init container failed, or the pod failed before it started.
            if let other = failedContainer(in: last, besides: main) {
                return containerFailure(other, jobReason: jobReason)
            }
        }
        return .failed(.exitStatus, exitCode: nil, reason: "\(jobReason): \(jobCondition.message ?? "the Job failed")")
    }

    /// The verdict when the main container ended (`main`, in `pod`): its own failure, or — when it
    /// exited 0 and the pod failed anyway — the container beside it that failed.
    static func mainFailure(
        _ terminated: ContainerState.Terminated, in pod: Pod, main: String?, jobReason: String?
    ) -> RunVerdict {
        let because = jobReason.map { " (\($0))" } ?? ""
        if terminated.reason == "OOMKilled" {
            return .failed(.outOfMemory, exitCode: terminated.exitCode,
                           reason: "OOMKilled: the container went over its memory limit\(because)")
        }
        if terminated.exitCode == 0, let other = failedContainer(in: pod, besides: main) {
            return containerFailure(other, jobReason: jobReason)
        }
        return .failed(.exitStatus, exitCode: terminated.exitCode, reason: "exited with status \(terminated.exitCode)\(because)")
    }

    /// A container other than the main one ended the pod: it is named, since its exit status is not the job's.
    static func containerFailure(_ failed: (name: String, isInit: Bool, state: ContainerState.Terminated), jobReason: String?) -> RunVerdict {
        let because = jobReason.map { " (\($0))" } ?? ""
        let which = "\(failed.isInit ? "init container" : "container") \(failed.name)"
        if failed.state.reason == "OOMKilled" {
            return .failed(.outOfMemory, exitCode: failed.state.exitCode,
                           reason: "OOMKilled: \(which) went over its memory limit\(because)")
        }
        return .failed(.exitStatus, exitCode: failed.state.exitCode,
                       reason: "\(which) exited with status \(failed.state.exitCode)\(because)")
    }

    /// Why the platform took the pod away, in words, or `nil` if it did not.
    static func evictionReason(of pod: Pod) -> String? {
        if let reason = pod.status?.reason, evictionReasons.contains(reason) {
            return "\(reason): \(pod.status?.message ?? "the pod was evicted")"
        }
        // Kubernetes 1.26+ marks a pod it is about to take away with a DisruptionTarget condition.
        if let condition = pod.status?.condition("DisruptionTarget", is: "True") {
            return "\(condition.reason ?? "DisruptionTarget"): \(condition.message ?? "")"
        }
        return nil
    }

    /// The name of the main container of `pod`: `main` when given, else the pod's first container.
    static func mainName(of pod: Pod, main: String?) -> String? { main ?? pod.spec?.containers.first?.name }

    /// The main container's status; without a spec to name it, the first status (a one-container pod).
    static func mainStatus(of pod: Pod, main: String?) -> ContainerStatus? {
        let statuses = pod.status?.containerStatuses ?? []
        guard let name = mainName(of: pod, main: main) else { return statuses.first }
        return statuses.first { $0.name == name }
    }

    static func terminatedState(of pod: Pod, main: String?) -> ContainerState.Terminated? {
        mainStatus(of: pod, main: main)?.state?.terminated
    }

    static func exitCode(of pod: Pod, main: String?) -> Int32? { terminatedState(of: pod, main: main)?.exitCode }

    /// The first container besides the main one that ended in failure (init containers first, as they
    /// run first). Not a native sidecar: the kubelet stops it once the main containers end, and one
    /// that does not handle SIGTERM ends with 143; its exit status never decides the pod's phase.
    static func failedContainer(in pod: Pod, besides main: String?) -> (name: String, isInit: Bool, state: ContainerState.Terminated)? {
        let mainName = mainName(of: pod, main: main)
        let sidecars = Set((pod.spec?.initContainers ?? []).filter { $0.restartPolicy == "Always" }.map(\.name))
        let candidates = (pod.status?.initContainerStatuses ?? []).filter { !sidecars.contains($0.name) }.map { ($0, true) }
            + (pod.status?.containerStatuses ?? []).map { ($0, false) }
        for (status, isInit) in candidates where status.name != mainName {
            if let terminated = status.state?.terminated, terminated.exitCode != 0 || terminated.reason == "OOMKilled" {
                return (status.name, isInit, terminated)
            }
        }
        return nil
    }

    /// The main container's end, when it ended while another of the pod's ordinary containers still
    /// runs (native sidecars, init containers with `restartPolicy: Always`, are stopped by the kubelet
    /// itself once the main containers end, so they never hold a pod).
    static func mainEndedBesideRunningContainers(_ pod: Pod, main: String?) -> ContainerState.Terminated? {
        guard let name = mainName(of: pod, main: main), let ended = terminatedState(of: pod, main: main) else { return nil }
        let othersRunning = (pod.status?.containerStatuses ?? []).contains { $0.name != name && $0.state?.terminated == nil }
        return othersRunning ? ended : nil
    }

    /// The pods to stop because their main container ended while another ordinary container runs
    /// on (see ``mainEndedBesideRunningContainers(_:main:)``): a pod that would never finish by itself.
    public static func podsHeldBySidecars(_ pods: [Pod], mainContainer: String?) -> [String] {
        pods.filter { $0.status?.isFinished != true && mainEndedBesideRunningContainers($0, main: mainContainer) != nil }
            .compactMap(\.metadata.name)
    }

    static func runningStart(of pod: Pod) -> Date? {
        pod.status?.containerStatuses?.lazy.compactMap { $0.state?.running?.startedAt ?? $0.state?.terminated?.startedAt }.first
    }

    static func waitingReason(of pod: Pod) -> String? {
        if let waiting = pod.status?.containerStatuses?.lazy.compactMap({ $0.state?.waiting }).first {
            return [waiting.reason, waiting.message].compactMap { $0 }.joined(separator: ": ")
        }
        if let message = pod.status?.condition("PodScheduled", is: "False")?.message { return message }
        return nil
    }
}
