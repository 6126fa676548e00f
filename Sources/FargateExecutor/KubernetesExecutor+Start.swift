import Foundation
import Kubernetes
import Logging
public import RunModel
public import Scheduler
import Synchronization

/// Why one attempt to start a run failed, and whether another attempt may succeed.
struct StartFailure: Error {
    var message: String
    /// 429, 5xx or a dropped connection: the API may answer the next attempt.
    var isTransient: Bool

    init(_ message: String, after error: KubernetesError) {
        self.message = "\(message): \(error)"
        self.isTransient = error.isTransient
    }

    init(refusing message: String) {
        self.message = message
        self.isTransient = false
    }

    init(cacheUnavailable reason: ClusterCache.Unavailable, job: String) {
        self.message = "reading the Jobs of \(job) from the cache: \(reason)"
        self.isTransient = reason.isTransient
    }
}

extension KubernetesError {
    /// Whether another attempt may succeed: throttling, a server error, or no answer at all.
    var isTransient: Bool {
        switch self {
        case .transport: true
        case .api(let status, _, _): status == 429 || (500...504).contains(status)
        default: false
        }
    }
}

extension KubernetesExecutor {
    /// Creates the run's Job (or adopts the one a crashed or unanswered earlier attempt made) and
    /// starts following it.
    ///
    /// Transient API failures (429, 5xx, dropped connections) are retried with backoff until the
    /// request's ``RunRequest/startDeadline`` (or ``startRetryLimit`` from now): the Job's name comes
    /// from the job and the slot, so an attempt whose create did reach the server meets 409 on the
    /// next one and adopts that Job instead of making a second.
    /// - Throws: ``ExecutorError`` when the job has no settings, the manifest cannot be built, a Job of
    ///   the job is still active in the cluster under `forbid`, a Job of that name is not ours, the API
    ///   refuses, or it still fails at the deadline.
    public func start(_ request: RunRequest, output: any OutputSink) async throws(ExecutorError) -> RunHandle {
        guard let settings = settingsOf(request.slot.job) else {
            throw ExecutorError("\(request.slot.job) has no Kubernetes settings")
        }
        let manifest: Job
        do {
            manifest = try JobManifest.build(for: request, settings: settings, startedBy: host)
        } catch {
            throw ExecutorError(error.message)
        }
        let name = manifest.metadata.name ?? ""
        beginStarting(name)
        defer { endStarting(name) }
        let deadline = request.startDeadline ?? clock.now().addingTimeInterval(GarbageCollectionPlan.seconds(startRetryLimit))
        var retries = 0
        while true {
            let created: Job
            do {
                created = try await createOrAdopt(manifest, named: name, for: request, settings: settings, deadline: deadline)
            } catch {
                guard error.isTransient else { throw ExecutorError(error.message) }
                retries += 1
                let wake = clock.now().addingTimeInterval(Self.retryPause(after: retries))
                guard wake < deadline else {
                    if let made = await jobMadeByAnEarlierAttempt(named: name, for: request, settings: settings) {
                        // A create whose answer was lost did start the run: follow it rather than disown it.
                        let handle = RunHandle(executor: .kubernetes, reference: "\(settings.namespace)/\(name)", uid: made.metadata.uid)
                        follow(made, request: request, settings: settings, handle: handle, output: output)
                        return handle
                    }
                    throw ExecutorError("\(error.message) (gave up after \(retries) attempts: the run's start deadline "
                                        + "\(OwnershipLabels.rfc3339(deadline)) has come)")
                }
                logger.warning("starting run \(request.run) of \(settings.jobName) failed, retrying: \(error.message)")
                do {
                    try await clock.sleep(until: wake)
                } catch {
                    throw ExecutorError("starting run \(request.run) of \(settings.jobName) was cancelled while retrying")
                }
                continue
            }
            let handle = RunHandle(executor: .kubernetes, reference: "\(settings.namespace)/\(name)", uid: created.metadata.uid)
            follow(created, request: request, settings: settings, handle: handle, output: output)
            return handle
        }
    }

    /// The least a start waits for its namespace's cache to be listed. Somewhat arbitrarily 5 s.
    static let shortestSyncWait: TimeInterval = 5

    /// The pause before retry number `retries` (1 for the first) of a start or a re-attachment.
    /// Somewhat arbitrarily 250 ms, doubling to 8 s: long enough for a throttled API to recover, short
    /// enough that a slot with a one-minute deadline gets several more tries.
    static func retryPause(after retries: Int) -> TimeInterval {
        0.25 * Double(1 << min(max(retries - 1, 0), 5))
    }

    /// One attempt: the concurrency check, then the create, or the adoption of our own Job of that name.
    func createOrAdopt(
        _ manifest: Job, named name: String, for request: RunRequest, settings: KubernetesJobSettings, deadline: Date
    ) async throws(StartFailure) -> Job {
        try await checkConcurrency(of: settings, startingJob: name, deadline: deadline)
        Failpoint.reach("before-create")
        let created: Job
        do {
            created = try await client.create(manifest, in: settings.namespace)
            Failpoint.reach("after-create")
        } catch let error where error.isAlreadyExists {
            return try await adopt(name, for: request, settings: settings)
        } catch {
            throw StartFailure("creating Job \(settings.namespace)/\(name)", after: error)
        }
        // A create whose connection was lost is looked up by name (KubeClient.create): what it finds
        // may be the Job another host made for this slot meanwhile (a leader cut off mid-create, its
        // successor starting the slot); that is the other host's run, not this one's.
        try refuseAnotherHostsJob(created, named: name, in: settings.namespace)
        return created
    }

    /// One last look before giving up: the run's own Job, if an attempt whose answer was lost made it.
    func jobMadeByAnEarlierAttempt(named name: String, for request: RunRequest, settings: KubernetesJobSettings) async -> Job? {
        do {
            guard let existing = try await client.find(Job.self, named: name, in: settings.namespace),
                isOurs(existing, for: request, settings: settings)
            else { return nil }
            logger.info("adopting Job \(settings.namespace)/\(name), made by an attempt whose answer was lost, at the start deadline")
            return existing
        } catch {
            logger.warning("looking for Job \(settings.namespace)/\(name) at the start deadline failed: \(error)")
            return nil
        }
    }

    /// Whether a Job carries fargate-cron's labels for this job and slot.
    func isOurs(_ job: Job, for request: RunRequest, settings: KubernetesJobSettings) -> Bool {
        let labels = job.metadata.labels ?? [:]
        return labels[OwnershipLabels.managedBy] == OwnershipLabels.managedByValue
            && labels[OwnershipLabels.job] == settings.jobName
            && labels[OwnershipLabels.scheduledAt] == OwnershipLabels.labelValue(of: request.slot.scheduledAt)
    }

    /// Refuses a Job of the slot that another host created (its ``OwnershipLabels/startedBy``), found by
    /// this host's start: after a create whose answer was lost, or on a 409.
    func refuseAnotherHostsJob(_ job: Job, named name: String, in namespace: String) throws(StartFailure) {
        guard let host, let maker = job.metadata.annotations?[OwnershipLabels.startedBy], maker != host else { return }
        throw StartFailure(refusing: "Job \(namespace)/\(name) was created by \(maker), not by this host (\(host)): it is \(maker)'s run")
    }

    /// The Job of this name already exists: ours for this slot (a retried create), or refused.
    func adopt(_ name: String, for request: RunRequest, settings: KubernetesJobSettings) async throws(StartFailure) -> Job {
        let existing: Job
        do {
            existing = try await client.get(Job.self, named: name, in: settings.namespace)
        } catch {
            throw StartFailure("Job \(settings.namespace)/\(name) exists but cannot be read", after: error)
        }
        guard isOurs(existing, for: request, settings: settings) else {
            throw StartFailure(refusing: "Job \(settings.namespace)/\(name) exists and is not fargate-cron's run of "
                               + "\(request.slot): refusing to adopt it")
        }
        // With several hosts, the previous leader may have made this slot's Job a moment before this
        // host led: it is that host's run (a new leader adopts such Jobs from the cluster before it
        // schedules, recording who started them), never this host's start.
        try refuseAnotherHostsJob(existing, named: name, in: settings.namespace)
        logger.info("adopting Job \(settings.namespace)/\(name), created by an earlier attempt at \(request.slot)")
        return existing
    }

    /// Under `forbid`, an active Job of the job in the cluster blocks the slot (even if the ledger
    /// was lost); under `replace`, active Jobs are deleted (Background, uid precondition) first.
    ///
    /// The Jobs are read from the synced cache (waited for until the start's deadline), not listed:
    /// a herd of starts costs no list each; the Jobs this executor made and follows count too, as the
    /// cache may not show them yet. A cache a moment behind the server can still miss a Job another
    /// client made that moment; the ledger's no-overlap guarantee and the Job's deterministic name
    /// (one slot, one Job, 409 on a second create) are the fence, as they are against a lost ledger. An executor
    /// that keeps no cache (``readsCache`` false) lists the Jobs.
    func checkConcurrency(
        of settings: KubernetesJobSettings, startingJob name: String, deadline: Date
    ) async throws(StartFailure) {
        guard settings.concurrency != .allow else { return }
        let jobs: [Job]
        if readsCache {
            do {
                // At least a few seconds, as an attempt's requests have: a start whose deadline has
                // passed still gets one attempt (the namespace's first list takes milliseconds).
                let syncBy = max(deadline, clock.now().addingTimeInterval(Self.shortestSyncWait))
                try await cache.waitForSync(of: settings.namespace, until: syncBy, clock: clock)
            } catch {
                throw StartFailure(cacheUnavailable: error, job: settings.jobName)
            }
            let cached = cache.jobs(in: settings.namespace).objects(where: {
                $0.metadata.labels?[OwnershipLabels.job] == settings.jobName
            })
            // The Jobs this executor made and still follows, which the cache may not show yet (its
            // watch event is a moment behind the create's answer), as client-go's mutation cache adds them.
            let known = Set(cached.compactMap(\.metadata.name))
            let made = followers.withLock { followers in
                followers.values.filter {
                    $0.settings.jobName == settings.jobName && $0.settings.namespace == settings.namespace && $0.outcome.value == nil
                }.map(\.created)
            }
            jobs = cached + made.filter { !known.contains($0.metadata.name ?? "") }
        } else {
            do {
                jobs = try await client.list(Job.self, in: settings.namespace,
                                             labelSelector: OwnershipLabels.selector(forJob: settings.jobName)).items
            } catch {
                throw StartFailure("listing the Jobs of \(settings.jobName)", after: error)
            }
        }
        let active = jobs.filter {
            $0.metadata.name != name && $0.status?.isFinished != true && $0.metadata.deletionTimestamp == nil
        }
        guard !active.isEmpty else { return }
        let names = active.compactMap(\.metadata.name).sorted()
        if settings.concurrency == .forbid {
            throw StartFailure(refusing: "\(settings.jobName) is forbidden to overlap and its Job "
                               + "\(names.joined(separator: ", ")) is still active in the cluster")
        }
        for job in active {
            guard let jobName = job.metadata.name else { continue }
            do {
                try await client.delete(Job.self, named: jobName, in: settings.namespace, uid: job.metadata.uid,
                                        propagation: .background)
                logger.info("replaced: deleted the active Job \(settings.namespace)/\(jobName) of \(settings.jobName)")
            } catch let error where error.isNotFound {
                continue
            } catch {
                throw StartFailure("deleting the active Job \(settings.namespace)/\(jobName) to replace it", after: error)
            }
        }
    }
}
