import Foundation
import Kubernetes
import Scheduler

extension KubernetesExecutor {
    /// Finds everything fargate-cron owns in the jobs' namespaces that is finished and past its time
    /// (finished pods past their TTL, Jobs beyond the history limits) and deletes it, pods first, each
    /// with a uid precondition and Jobs with `propagationPolicy=Background`. Pods whose output a run
    /// of this executor is still reading are left alone. Run at start-up, at intervals, and by
    /// `fargate-cron gc`, so that a crash never leaks a billed Fargate node.
    ///
    /// In the daemon it reads the executor's cache (``ClusterCache``), so a sweep and a run's clean-up
    /// cost no list; without one (`fargate-cron gc` on its own) it lists. A cache a moment
    /// behind may name an object already deleted: its delete answers 404, which counts as done.
    /// - Parameters:
    ///   - jobs: the jobs whose retention applies; objects of other jobs in their namespaces get
    ///     ``RetentionPolicy/orphaned``.
    ///   - dryRun: only say what would be deleted.
    ///   - onlyTheseJobs: list only the objects of `jobs` (a run's clean-up), not everything ours in
    ///     their namespaces: a herd of 500 runs ending must not list 500 namespaces' worth each.
    ///   - leaving: names of pods not to delete (a run's clean-up: the pods its follower deleted).
    /// - Returns: what was deleted (or would be), and the errors met, in order.
    public func sweep(
        jobs: [KubernetesJobSettings], dryRun: Bool, onlyTheseJobs: Bool = false, leaving: Set<String> = []
    ) async -> SweepResult {
        var result = SweepResult()
        let retention = Dictionary(jobs.map { ($0.jobName, RetentionPolicy($0)) }, uniquingKeysWith: { a, _ in a })
        let scopes: [(namespace: String, job: String?)] =
            onlyTheseJobs ? jobs.map { ($0.namespace, $0.jobName) } : Set(jobs.map(\.namespace)).sorted().map { ($0, nil) }
        for (namespace, job) in scopes {
            let selector = job.map(OwnershipLabels.selector(forJob:)) ?? OwnershipLabels.ownedSelector
            let listedJobs: [Job]
            let listedPods: [Pod]
            do {
                (listedJobs, listedPods) = try await objects(in: namespace, ofJob: job)
            } catch {
                result.errors.append("listing \(selector) in namespace \(namespace): \(error)")
                continue
            }
            // Read after the lists: a run that started while they were read is known by now (a run
            // being created counts from before its POST), so its pod is never taken for a leftover.
            let followed = followedJobs
            // Other jobs sharing the namespace keep their own limits: only a job no schedule names
            // any more is orphaned (a run's clean-up sweeps with its own job's settings alone).
            var retention = retention
            for label in Set(listedJobs.compactMap { $0.metadata.labels?[OwnershipLabels.job] }) where retention[label] == nil {
                if let settings = settingsOf(label) { retention[label] = RetentionPolicy(settings) }
            }
            let busy = Set(listedPods.filter { followed.contains($0.metadata.labels?["job-name"] ?? "") }.compactMap(\.metadata.name))
                .union(leaving)
            let plan = GarbageCollectionPlan.deletions(
                jobs: listedJobs, pods: listedPods, retention: retention, busyPods: busy, now: clock.now())
            for deletion in plan {
                if dryRun {
                    result.deleted.append(deletion)
                    continue
                }
                Failpoint.reach("sweep")
                do {
                    switch deletion.kind {
                    case .pod: try await client.delete(Pod.self, named: deletion.name, in: deletion.namespace, uid: deletion.uid)
                    case .job:
                        try await client.delete(Job.self, named: deletion.name, in: deletion.namespace, uid: deletion.uid,
                                                propagation: .background)
                    }
                    result.deleted.append(deletion)
                } catch let error where error.isNotFound {
                    continue  // already gone: someone else's delete won
                } catch {
                    result.errors.append("deleting \(deletion.kind) \(deletion.namespace)/\(deletion.name): \(error)")
                }
            }
        }
        return result
    }
}

extension KubernetesExecutor {
    /// The Jobs and pods a sweep looks at: from the cache when the executor keeps one (waiting for its
    /// first list at most ``startRetryLimit``), else listed.
    /// - Parameter job: only this job's objects (nil: everything fargate-cron owns there).
    func objects(in namespace: String, ofJob job: String?) async throws -> ([Job], [Pod]) {
        guard readsCache else {
            let selector = job.map(OwnershipLabels.selector(forJob:)) ?? OwnershipLabels.ownedSelector
            return (try await client.list(Job.self, in: namespace, labelSelector: selector).items,
                    try await client.list(Pod.self, in: namespace, labelSelector: selector).items)
        }
        let deadline = clock.now().addingTimeInterval(GarbageCollectionPlan.seconds(startRetryLimit))
        try await cache.waitForSync(of: namespace, until: deadline, clock: clock)
        func ofTheJob(_ meta: ObjectMeta) -> Bool { job == nil || meta.labels?[OwnershipLabels.job] == job }
        return (cache.jobs(in: namespace).objects(where: { ofTheJob($0.metadata) }),
                cache.pods(in: namespace).objects(where: { ofTheJob($0.metadata) }))
    }
}

/// What a sweep deleted (or, in a dry run, would delete) and what went wrong.
public struct SweepResult: Hashable, Sendable {
    /// The deletions, pods first.
    public var deleted: [Deletion] = []
    /// Errors, each naming the object or the namespace.
    public var errors: [String] = []
}
