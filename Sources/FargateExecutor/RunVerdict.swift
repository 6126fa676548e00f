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
    public static func verdict(job: Job, pods: [Pod], now: Date, pendingTimeout: Duration) -> RunVerdict {
        let ordered = pods.sorted { ($0.metadata.creationTimestamp ?? .distantPast) < ($1.metadata.creationTimestamp ?? .distantPast) }
        let conditions = job.status?.conditions?.filter { $0.status == "True" } ?? []
        if conditions.contains(where: { $0.type == "Complete" || $0.type == "SuccessCriteriaMet" }) { return .succeeded }
        if let failed = conditions.first(where: { $0.type == "Failed" || $0.type == "FailureTarget" }) {
            return failure(jobCondition: failed, pods: ordered)
        }
        // A finished pod the Job controller has not yet judged: with restartPolicy Never and no
        // retries left the Job fails the same way, so a platform failure is reported at once.
        if let last = ordered.last, last.status?.phase == "Failed", let eviction = evictionReason(of: last) {
            return .failed(.platformEviction, exitCode: exitCode(of: last), reason: eviction)
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

    static func failure(jobCondition: JobCondition, pods: [Pod]) -> RunVerdict {
        let jobReason = jobCondition.reason ?? "Failed"
        let last = pods.last { $0.status?.phase == "Failed" } ?? pods.last
        if jobReason == "DeadlineExceeded" {
            return .failed(.deadlineExceeded, exitCode: last.flatMap(exitCode(of:)),
                           reason: "DeadlineExceeded: \(jobCondition.message ?? "the run was longer than its timeout")")
        }
        if let last {
            if let terminated = terminatedState(of: last), terminated.reason == "OOMKilled" {
                return .failed(.outOfMemory, exitCode: terminated.exitCode,
                               reason: "OOMKilled: the container went over its memory limit (\(jobReason))")
            }
            if let eviction = evictionReason(of: last) {
                return .failed(.platformEviction, exitCode: exitCode(of: last), reason: "\(eviction) (\(jobReason))")
            }
            if let code = exitCode(of: last) {
                return .failed(.exitStatus, exitCode: code, reason: "exited with status \(code) (\(jobReason))")
            }
        }
        return .failed(.exitStatus, exitCode: nil, reason: "\(jobReason): \(jobCondition.message ?? "the Job failed")")
    }

    /// Why the platform took the pod away, in words, or `nil` if it did not.
    static func evictionReason(of pod: Pod) -> String? {
        if let reason = pod.status?.reason, evictionReasons.contains(reason) {
            return "\(reason): \(pod.status?.message ?? "the pod was evicted")"
        }
        // Kubernetes 1.26+ marks a pod it is about to take away with a DisruptionTarget condition.
        if case .array(let conditions)? = pod.decodedJSON?["status"]?["conditions"] {
            for condition in conditions {
                guard case .string("DisruptionTarget")? = condition["type"], case .string("True")? = condition["status"]
                else { continue }
                let reason = condition["reason"].flatMap { if case .string(let s) = $0 { s } else { nil } } ?? "DisruptionTarget"
                let message = condition["message"].flatMap { if case .string(let s) = $0 { s } else { nil } } ?? ""
                return "\(reason): \(message)"
            }
        }
        return nil
    }

    static func terminatedState(of pod: Pod) -> ContainerState.Terminated? {
        pod.status?.containerStatuses?.lazy.compactMap { $0.state?.terminated }.first
    }

    static func exitCode(of pod: Pod) -> Int32? { terminatedState(of: pod)?.exitCode }

    static func runningStart(of pod: Pod) -> Date? {
        pod.status?.containerStatuses?.lazy.compactMap { $0.state?.running?.startedAt ?? $0.state?.terminated?.startedAt }.first
    }

    static func waitingReason(of pod: Pod) -> String? {
        if let waiting = pod.status?.containerStatuses?.lazy.compactMap({ $0.state?.waiting }).first {
            return [waiting.reason, waiting.message].compactMap { $0 }.joined(separator: ": ")
        }
        if case .array(let conditions)? = pod.decodedJSON?["status"]?["conditions"] {
            for condition in conditions {
                if case .string("PodScheduled")? = condition["type"], case .string("False")? = condition["status"],
                    case .string(let message)? = condition["message"]
                {
                    return message
                }
            }
        }
        return nil
    }
}
