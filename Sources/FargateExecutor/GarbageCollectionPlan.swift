public import Foundation
public import Kubernetes

/// How long one job's finished objects are kept.
public struct RetentionPolicy: Hashable, Sendable {
    /// Succeeded Job objects kept, newest first.
    public var keepSucceeded: Int
    /// Failed Job objects kept, newest first.
    public var keepFailed: Int
    /// How long a finished pod may live.
    public var podTTL: Duration

    public init(keepSucceeded: Int, keepFailed: Int, podTTL: Duration) {
        self.keepSucceeded = keepSucceeded
        self.keepFailed = keepFailed
        self.podTTL = podTTL
    }

    /// For objects of a job no schedule file names any more: Kubernetes' CronJob defaults, pods at once.
    public static let orphaned = RetentionPolicy(keepSucceeded: 3, keepFailed: 1, podTTL: .zero)

    /// The retention of a job's settings.
    public init(_ settings: KubernetesJobSettings) {
        self.init(keepSucceeded: settings.keepSucceeded, keepFailed: settings.keepFailed, podTTL: settings.podTTL)
    }
}

/// One object the sweep deletes, and why.
public struct Deletion: Hashable, Sendable, CustomStringConvertible {
    /// `pod` or `job`.
    public enum Kind: String, Hashable, Sendable { case pod, job }
    public var kind: Kind
    public var namespace: String
    public var name: String
    /// The uid, sent as a precondition: an object re-created under the same name is never deleted.
    public var uid: String?
    /// Why, in words.
    public var reason: String

    public var description: String { "\(kind) \(namespace)/\(name): \(reason)" }
}

/// The garbage-collection decision as a pure function of what the cluster lists: which finished
/// pods and which surplus finished Jobs fargate-cron deletes.
public enum GarbageCollectionPlan {
    /// What to delete.
    /// - Parameters:
    ///   - jobs: Jobs listed with the ownership selector (others are ignored all the same).
    ///   - pods: pods listed with the ownership selector.
    ///   - retention: each job's policy by job name; jobs not in it get ``RetentionPolicy/orphaned``.
    ///   - busyPods: pods whose logs are still being read (by uid or name); they are left alone.
    ///   - now: the present.
    /// - Returns: pod deletions first (they stop the bill), then Job deletions, each sorted by name.
    public static func deletions(
        jobs: [Job], pods: [Pod], retention: [String: RetentionPolicy], busyPods: Set<String> = [], now: Date
    ) -> [Deletion] {
        var result: [Deletion] = []
        for pod in pods where isOwned(pod.metadata) && pod.metadata.deletionTimestamp == nil {
            guard let status = pod.status, status.isFinished, let name = pod.metadata.name else { continue }
            if busyPods.contains(name) || pod.metadata.uid.map(busyPods.contains) == true { continue }
            let policy = pod.metadata.labels?[OwnershipLabels.job].flatMap { retention[$0] } ?? .orphaned
            let finished = PodTimeline(pod: pod).finishedAt ?? pod.metadata.creationTimestamp ?? .distantPast
            let age = now.timeIntervalSince(finished)
            guard age >= seconds(policy.podTTL) else { continue }
            result.append(Deletion(kind: .pod, namespace: pod.metadata.namespace ?? "", name: name, uid: pod.metadata.uid,
                                   reason: "\(status.phase ?? "finished") \(Int(age)) s ago, pod TTL \(Int(seconds(policy.podTTL))) s"))
        }
        var byJob: [String: [Job]] = [:]
        for job in jobs where isOwned(job.metadata) && job.metadata.deletionTimestamp == nil {
            guard let owner = job.metadata.labels?[OwnershipLabels.job], job.status?.isFinished == true else { continue }
            byJob[owner, default: []].append(job)
        }
        for (owner, finished) in byJob {
            let policy = retention[owner] ?? .orphaned
            let newestFirst = finished.sorted { slot(of: $0) > slot(of: $1) }
            let succeeded = newestFirst.filter(isSucceeded)
            let failed = newestFirst.filter { !isSucceeded($0) }
            for (kept, list, word) in [(policy.keepSucceeded, succeeded, "succeeded"), (policy.keepFailed, failed, "failed")] {
                for (index, job) in list.enumerated() where index >= max(kept, 0) {
                    result.append(Deletion(kind: .job, namespace: job.metadata.namespace ?? "", name: job.metadata.name ?? "",
                                           uid: job.metadata.uid,
                                           reason: "\(word) Job \(index + 1) of \(list.count), \(kept) kept"))
                }
            }
        }
        return result.sorted { ($0.kind == .pod ? 0 : 1, $0.namespace, $0.name) < ($1.kind == .pod ? 0 : 1, $1.namespace, $1.name) }
    }

    static func isOwned(_ meta: ObjectMeta) -> Bool {
        meta.labels?[OwnershipLabels.managedBy] == OwnershipLabels.managedByValue
    }

    static func isSucceeded(_ job: Job) -> Bool {
        job.status?.conditions?.contains { $0.type == "Complete" && $0.status == "True" } ?? false
    }

    /// A Job's slot (from its label), else its completion or creation time: what "newest" means.
    static func slot(of job: Job) -> Date {
        job.metadata.labels?[OwnershipLabels.scheduledAt].flatMap(OwnershipLabels.slot(fromLabel:))
            ?? job.status?.completionTime ?? job.metadata.creationTimestamp ?? .distantPast
    }

    static func seconds(_ duration: Duration) -> Double {
        let (s, attos) = duration.components
        return Double(s) + Double(attos) / 1e18
    }
}
