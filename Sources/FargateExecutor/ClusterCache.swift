import Foundation
import Kubernetes
import Logging
import Scheduler

/// What the executor knows of the cluster: per namespace its jobs use, one list-then-watch of the
/// Jobs and one of the Pods fargate-cron owns (`app.kubernetes.io/managed-by=fargate-cron`), shared
/// by every run (client-go's shared informers). A run reads its Job and pods from here and hears of
/// their changes from here; the `forbid` check and the sweep read it instead of listing. So the
/// requests a herd costs do not grow with its runs: two watches a namespace, plus reconnects.
///
/// The Jobs are indexed by name and the pods by their Job's name (the `job-name` label the Job
/// controller sets), so that a run subscribes to its own objects alone. What is cached is decoded
/// without the JSON tree of unmodelled fields (nothing here writes a cached object back) and trimmed
/// (``Job/trimmedForCache()``, ``Pod/trimmedForCache()``): the cache of every pod is most of the
/// daemon's memory in a herd.
final class ClusterCache: Sendable {
    let informers: SharedInformers
    /// The Events about the Jobs of each namespace (not cached by a watch: the daemon's Role may
    /// `list` Events, not `watch` them), listed at most once a second however many runs ask.
    let jobEvents: JobEvents

    init(client: KubeClient, logger: Logger) {
        jobEvents = JobEvents(client: client, maxAge: .seconds(1))
        informers = SharedInformers(client: client) { informer, error in
            // The informer's consumers get the error too: that namespace's starts fail saying so, and
            // its runs are followed by reading afresh (``RunFollower``) until the daemon restarts.
            logger.error("the cache of \(informer) stopped for good: \(error)")
        }
    }

    /// The Jobs fargate-cron owns in `namespace`, indexed by name.
    func jobs(in namespace: String) -> Informer<Job> {
        informers.informer(
            Job.self, namespace: namespace, labelSelector: OwnershipLabels.ownedSelector, indexedBy: { $0.metadata.name },
            transform: { $0.trimmedForCache() }, keepsUnmodelledFields: false)
    }

    /// The pods fargate-cron owns in `namespace`, indexed by the name of their Job.
    func pods(in namespace: String) -> Informer<Pod> {
        informers.informer(
            Pod.self, namespace: namespace, labelSelector: OwnershipLabels.ownedSelector, indexedBy: Self.jobName(of:),
            transform: { $0.trimmedForCache() }, keepsUnmodelledFields: false)
    }

    /// The name of the Job a pod belongs to, from the Job controller's label.
    static func jobName(of pod: Pod) -> String? {
        pod.metadata.labels?["batch.kubernetes.io/job-name"] ?? pod.metadata.labels?["job-name"]
    }

    /// Runs the informers until cancelled.
    func run() async { await informers.run() }

    /// Why the cache of a namespace could not be read.
    enum Unavailable: Error, CustomStringConvertible {
        /// The first list did not come before the deadline (an outage, throttling).
        case notSynced(namespace: String, by: Date)
        /// An informer stopped for good (a 403 on list or watch, credentials).
        case failed(any Error)
        case cancelled

        var description: String {
            switch self {
            case .notSynced(let namespace, let deadline):
                "the Jobs and pods of namespace \(namespace) could not be listed by \(OwnershipLabels.rfc3339(deadline))"
            case .failed(let error): "\(error)"
            case .cancelled: "cancelled"
            }
        }

        /// Whether waiting longer may help.
        var isTransient: Bool { if case .notSynced = self { true } else { false } }
    }

    /// Waits until both informers of `namespace` have listed once, or `deadline` (on `clock`) comes.
    /// - Throws: ``Unavailable``.
    func waitForSync(of namespace: String, until deadline: Date, clock: any WallClock) async throws(Unavailable) {
        let jobs = self.jobs(in: namespace), pods = self.pods(in: namespace)
        if jobs.hasSynced && pods.hasSynced { return }
        let outcome: Result<Bool, any Error> = await withTaskGroup(of: Result<Bool, any Error>?.self) { group in
            group.addTask {
                do {
                    try await jobs.waitForSync()
                    try await pods.waitForSync()
                    return .success(true)
                } catch {
                    return .failure(error)
                }
            }
            group.addTask {
                do { try await clock.sleep(until: deadline) } catch { return nil }
                return .success(false)
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? .failure(CancellationError())
        }
        switch outcome {
        case .success(true): return
        case .success(false): throw .notSynced(namespace: namespace, by: deadline)
        case .failure(let error) where error is CancellationError: throw .cancelled
        case .failure(let error): throw .failed(error)
        }
    }
}

extension Job {
    /// What the executor's cache (and each run's follower) keeps of a Job: its metadata, status and
    /// the spec's counts; of its pod template only each container's name and image. Not the JSON it
    /// was decoded from, nor the containers' environment, command and resources: nobody reads them
    /// back from the cache, and for a herd's runs in flight they were most of the daemon's memory.
    func trimmedForCache() -> Job {
        var job = self
        job.decodedJSON = nil
        let podSpec = spec?.template.spec?.trimmedForCache()
        job.spec?.template = PodTemplateSpec(metadata: nil, spec: podSpec)
        return job
    }
}

extension Pod {
    /// What the executor's cache keeps of a pod: its metadata and status, typed (the conditions
    /// included), and of its spec what a run reads (``PodSpec/trimmedForCache()``). Not the JSON it
    /// was decoded from (its `managedFields` often the largest part; a tree of dictionaries for every
    /// condition and container state): that made the cached pods most of the memory of a herd.
    func trimmedForCache() -> Pod {
        var pod = self
        pod.decodedJSON = nil
        pod.spec = spec?.trimmedForCache()
        return pod
    }
}

extension PodSpec {
    /// The node and scheduler (where the pod runs: ``FargatePlacement``), each container's name and
    /// image (the main container, image pull failures) and each init container's restart policy
    /// (native sidecars); not the environment, commands, resources or volumes.
    func trimmedForCache() -> PodSpec {
        func trimmed(_ container: Container) -> Container {
            var kept = Container(name: container.name, image: container.image)
            kept.restartPolicy = container.restartPolicy
            return kept
        }
        var spec = PodSpec(containers: containers.map(trimmed), restartPolicy: restartPolicy)
        spec.initContainers = initContainers?.map(trimmed)
        spec.nodeName = nodeName
        spec.schedulerName = schedulerName
        return spec
    }
}
