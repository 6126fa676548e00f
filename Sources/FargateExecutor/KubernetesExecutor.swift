import Foundation
public import Kubernetes
public import Logging
public import RunModel
public import Scheduler
public import Systemd
import Synchronization

/// The `kubernetes` executor: one `batch/v1` Job per slot on EKS Fargate, its output brought home to
/// the journal, its finished pod deleted as soon as the output is read, its Job kept to the history
/// limits.
///
/// The run's intent is in the run store before ``start(_:output:)`` is called (the scheduler's core
/// does that); the Job's name comes from the job and the slot, so a create retried after a crash
/// meets 409 AlreadyExists and adopts the Job it already made, after checking its labels.
///
/// Runs are followed from one cache of the cluster (``ClusterCache``: per namespace one watch of the
/// Jobs and one of the pods fargate-cron owns), which ``followRuns()`` keeps; a run costs its create,
/// its log stream and its pod's delete, whatever the number of runs.
public final class KubernetesExecutor: Executor {
    public var runsSurviveShutdown: Bool { true }

    let client: KubeClient
    let cache: ClusterCache
    let settingsOf: @Sendable (String) -> KubernetesJobSettings?
    let journal: EntryWriter?
    let clock: any WallClock
    let logger: Logger
    let logGrace: Duration
    let startRetryLimit: Duration
    let resyncInterval: Duration
    let startBounds: StartBounds
    /// Whether ``followRuns()`` keeps the cache (the daemon): starts and sweeps then read it, waiting
    /// for its first lists if they must; without it (`fargate-cron gc`) they list.
    let readsCache: Bool
    let onReport: @Sendable (RunReport) async -> Void
    /// The host this executor runs on, written into each Job it creates (``OwnershipLabels/startedBy``).
    let host: String?
    let followers = Mutex<[String: RunFollower]>([:])
    /// The names of Jobs being created now, with how many starts create each (a sweep leaves their pods alone).
    let starting = Mutex<[String: Int]>([:])
    /// Followers of runs just started or re-attached, for ``followRuns()`` to run.
    private let queued: AsyncStream<RunFollower>
    private let queue: AsyncStream<RunFollower>.Continuation

    /// Creates the executor.
    /// - Parameters:
    ///   - client: the cluster's API.
    ///   - settings: each job's Kubernetes settings by job name (`nil`: the job is not a kubernetes job).
    ///   - journal: where the pods' output goes, one journal entry a line with `CRON_JOB`, `CRON_RUN_ID`,
    ///     `K8S_NAMESPACE`, `K8S_JOB`, `K8S_POD`; `nil` sends it to the `output` given to `start` instead.
    ///   - clock: the wall clock (pending timeouts, pod TTLs, deletion times).
    ///   - logGrace: how long after a pod finished its output may still be read before the pod is deleted anyway.
    ///   - startRetryLimit: how long ``start(_:output:)`` retries transient API failures (429, 5xx, dropped
    ///     connections) when the request has no ``RunRequest/startDeadline``.
    ///   - resyncInterval: how long the cache's watches may say nothing (no event, no bookmark) before a
    ///     run reads its Job and pods afresh, so that a watch connection gone silent (a stall the idle
    ///     timeout has not noticed yet) delays nothing longer. Longer than the server's bookmark interval
    ///     (about a minute), so that a healthy quiet watch costs no request.
    ///   - startBounds: how long each cause that keeps a run from starting (``StartBlocker``) may last
    ///     before the run is failed for it (README, "Why a run cannot start").
    ///   - followsRuns: whether ``followRuns()`` will run (the daemon, where it is a service started
    ///     beside the scheduler): a start or a sweep that comes before it has begun waits for the
    ///     cache rather than listing. False for a sweep alone (`fargate-cron gc`), which lists.
    ///   - onReport: called once per followed run with its pods' timelines and costs (for the ledger).
    ///   - host: this host's name, written into each Job it creates (nil: none).
    public init(
        client: KubeClient, settings: @escaping @Sendable (String) -> KubernetesJobSettings?, journal: EntryWriter?,
        clock: any WallClock, logger: Logger, logGrace: Duration = .seconds(10), startRetryLimit: Duration = .seconds(60),
        resyncInterval: Duration = .seconds(90), startBounds: StartBounds = .default, followsRuns: Bool = true,
        onReport: @escaping @Sendable (RunReport) async -> Void = { _ in }, host: String? = nil
    ) {
        self.host = host
        self.client = client
        self.cache = ClusterCache(client: client, logger: logger)
        self.settingsOf = settings
        self.journal = journal
        self.clock = clock
        self.logger = logger
        self.logGrace = logGrace
        self.startRetryLimit = startRetryLimit
        self.resyncInterval = resyncInterval
        self.startBounds = startBounds
        self.readsCache = followsRuns
        self.onReport = onReport
        (queued, queue) = AsyncStream.makeStream()
    }

    /// Keeps the cache of the cluster (its informers) and follows every run this executor starts or
    /// re-attaches, each in a child task of one task group (its timers and log streams in a group of
    /// its own), until cancelled; then every child is cancelled and awaited. The daemon runs it as a
    /// service of its `ServiceGroup`, so a SIGTERM reaches every watch and stream and none outlives the
    /// daemon. A run cancelled before it was decided keeps running in the cluster and is re-attached
    /// by the next start. Call it once.
    public func followRuns() async {
        await withDiscardingTaskGroup { group in
            group.addTask { [cache] in await cache.run() }
            for await follower in queued {
                group.addTask { [onReport] in
                    await follower.run()
                    guard !Task.isCancelled, let report = follower.report.value else { return }
                    await onReport(report)
                }
            }
            group.cancelAll()
        }
    }

    func follow(_ created: Job, request: RunRequest, settings: KubernetesJobSettings, handle: RunHandle, output: (any OutputSink)?) {
        let write = lineWriter(request: request, settings: settings, jobName: created.metadata.name ?? "", output: output)
        // Trimmed as the cache's Jobs are: the follower holds it for the whole run.
        let follower = RunFollower(
            client: client, cache: cache, settings: settings, request: request, created: created.trimmedForCache(), clock: clock, logger: logger,
            logGrace: logGrace, resyncInterval: resyncInterval, startBounds: startBounds, write: write)
        followers.withLock { $0[handle.reference] = follower }
        queue.yield(follower)
    }

    func lineWriter(
        request: RunRequest, settings: KubernetesJobSettings, jobName: String, output: (any OutputSink)?
    ) -> @Sendable (_ pod: String, _ container: String, _ text: String, _ timestamp: Date?) -> Void {
        guard let journal else {
            return { _, _, text, _ in
                output?.write(OutputLine(slot: request.slot, run: request.run, stream: .stdout, bytes: Array(text.utf8)))
            }
        }
        return { pod, container, text, stamp in
            let run = JobOutputSink.Run(
                job: settings.jobName, runID: request.run.description, scheduledAt: request.slot.scheduledAt,
                namespace: settings.namespace, kubernetesJob: jobName, pod: pod, container: container)
            let bytes = Array(text.utf8)
            JobOutputSink(run: run, writer: journal).write(
                line: bytes, stream: .stdout, timestamp: stamp.map(OwnershipLabels.rfc3339))
            // The failure mail's and hook's tail.
            output?.noteJournaled(OutputLine(slot: request.slot, run: request.run, stream: .stdout, bytes: bytes))
        }
    }

    public func outcome(of handle: RunHandle) async -> RunOutcome? {
        guard let follower = followers.withLock({ $0[handle.reference] }) else { return nil }
        return await follower.outcome.wait()
    }

    public func cancel(_ handle: RunHandle, reason: String) async {
        followers.withLock { $0[handle.reference] }?.cancel(reason: reason)
    }

    /// Keeps the job's finished Jobs to its history limits, once the run's outcome is recorded.
    public func cleanUp(_ handle: RunHandle) async {
        guard let follower = followers.withLock({ $0.removeValue(forKey: handle.reference) }) else { return }
        // The pods the run deleted may still be in the cache (their watch event a moment behind the
        // delete's answer): not deleted twice (a herd of 500 sent ~250 such deletes, each a 404).
        let deleted = Set(follower.report.value?.pods.filter { $0.deletedAt != nil }.map(\.pod) ?? [])
        _ = await sweep(jobs: [follower.settings], dryRun: false, onlyTheseJobs: true, leaving: deleted)
    }

    /// After a restart: a run with a handle is followed again if its Job still exists; one without
    /// (the daemon died between the intent and the create) is looked up by its deterministic name.
    public func reattach(_ run: RunRecord, job: ScheduledJob?, output: (any OutputSink)?) async -> Reattachment {
        guard let settings = settingsOf(run.slot.job) else { return .lost(reason: "\(run.slot.job) has no Kubernetes settings any more") }
        let name = run.handle.map { String($0.reference.split(separator: "/").last ?? "") }
            ?? JobNaming.jobName(for: settings.jobName, slot: run.slot.scheduledAt, scheduleHasSeconds: settings.scheduleHasSeconds)
        // A throttled or failing API at start-up must not lose a run that is still going: transient
        // failures are retried for as long as a start would be.
        let deadline = clock.now().addingTimeInterval(GarbageCollectionPlan.seconds(startRetryLimit))
        var retries = 0
        var found: Job??
        while found == nil {
            do {
                found = .some(try await client.find(Job.self, named: name, in: settings.namespace))
            } catch {
                retries += 1
                let wake = clock.now().addingTimeInterval(Self.retryPause(after: retries))
                guard error.isTransient, wake < deadline else {
                    return .lost(reason: "Job \(settings.namespace)/\(name) could not be read: \(error)")
                }
                logger.warning("reading Job \(settings.namespace)/\(name) to re-attach run \(run.id) failed, retrying: \(error)")
                do {
                    try await clock.sleep(until: wake)
                } catch {
                    return .lost(reason: "Job \(settings.namespace)/\(name) could not be read before the daemon stopped: \(error)")
                }
            }
        }
        guard let existing = found ?? nil else {
            return .lost(reason: run.handle == nil ? "its Job was never created" : "its Job \(settings.namespace)/\(name) is gone")
        }
        let request = RunRequest(slot: run.slot, run: run.id, trigger: run.trigger, command: job?.command ?? "",
                                 environment: job?.environment ?? [:], timeout: job?.timeout)
        let handle = RunHandle(executor: .kubernetes, reference: "\(settings.namespace)/\(name)", uid: existing.metadata.uid)
        follow(existing, request: request, settings: settings, handle: handle, output: output)
        return .running(handle)
    }

    /// The names of the Jobs whose runs are being followed now (the sweep leaves their pods alone).
    var followedJobs: Set<String> {
        followers.withLock { Set($0.values.map(\.name)) }.union(starting.withLock { Set($0.keys) })
    }

    /// Counts a Job being created (from before its POST until its follower is registered).
    func beginStarting(_ name: String) { starting.withLock { $0[name, default: 0] += 1 } }

    func endStarting(_ name: String) {
        starting.withLock { starting in
            starting[name, default: 1] -= 1
            if starting[name] == 0 { starting[name] = nil }
        }
    }
}
