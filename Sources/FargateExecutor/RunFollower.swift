import Foundation
import Kubernetes
import Logging
import RunModel
import Scheduler
import Synchronization
import Systemd

/// Follows one run's Job and pods to the end: streams each pod's output, deletes each finished pod
/// as soon as its output is read (plus `CRON_POD_TTL`), fails a run left Pending too long, and
/// reports the verdict.
///
/// Driven by the executor's ``ClusterCache``: it subscribes to the changes of its own Job (by name)
/// and its own pods (by their Job's name), so following a run costs no request of its own, only its
/// log stream and its pod's delete. Every change of every pod (each container's state included)
/// comes through ``see(_:in:)``: the one place to read more from them. A timer wakes it for what
/// time alone decides (the pending timeout, the log grace, a retried delete); it reads its Job and
/// pods afresh only when the cache has heard nothing from the server for ``resyncInterval`` (a watch
/// connection stalled without failing).
final class RunFollower: Sendable {
    /// The Job and pod cases are boxed (`indirect`): a change is a pointer in the stream's buffer and
    /// in ``follow(in:)``'s frame, not an old and a new Job (1.3 KB).
    enum Change: Sendable {
        indirect case job(InformerEvent<Job>)
        indirect case pod(InformerEvent<Pod>)
        case logsEnded(StreamKey, lines: Int)
        case cancel(reason: String)
        case tick
    }

    let client: KubeClient
    let cache: ClusterCache
    let settings: KubernetesJobSettings
    let request: RunRequest
    let created: Job
    let clock: any WallClock
    let logger: Logger
    let logGrace: Duration
    let resyncInterval: Duration
    let startBounds: StartBounds
    let write: @Sendable (_ pod: String, _ container: String, _ text: String, _ timestamp: Date?) -> Void
    let changes: AsyncStream<Change>
    let continuation: AsyncStream<Change>.Continuation
    let outcome = Latch<RunOutcome>()
    let report = Latch<RunReport>()
    /// Every line of the run's pods written so far, counted as it is written: a stream still reading
    /// when its pod is deleted (its log grace over, the server slow to send) reports its count only
    /// after the run is decided; counting at its end lost those (76 of 1,000 runs under load read "0
    /// lines" with all 5 in the journal).
    let linesWritten = Atomic<Int>(0)

    /// How long a decided Job may wait for the cache's pods to catch up (the Job and pod watches are
    /// separate streams) before the pods are listed. Somewhat arbitrarily 1 s: events come in milliseconds.
    static let podCatchUp: TimeInterval = 1
    /// How soon a failed delete is tried again when nothing else happens.
    static let retryDelay: TimeInterval = 1

    init(
        client: KubeClient, cache: ClusterCache, settings: KubernetesJobSettings, request: RunRequest, created: Job,
        clock: any WallClock, logger: Logger, logGrace: Duration, resyncInterval: Duration, startBounds: StartBounds = .default,
        write: @escaping @Sendable (String, String, String, Date?) -> Void
    ) {
        self.client = client
        self.cache = cache
        self.settings = settings
        self.request = request
        self.created = created
        self.clock = clock
        self.logger = logger
        self.logGrace = logGrace
        self.resyncInterval = resyncInterval
        self.startBounds = startBounds
        self.write = write
        (changes, continuation) = AsyncStream.makeStream(of: Change.self)
    }

    var name: String { created.metadata.name ?? "" }

    /// Asks the run to stop: its Job is deleted and the outcome is `cancelled`.
    func cancel(reason: String) { continuation.yield(.cancel(reason: reason)) }

    /// Runs until the run has ended and its pods are gone; sets ``outcome`` and ``report``.
    ///
    /// Each pod's log stream is a child task of one task group, so that cancelling the caller (the
    /// daemon stopping) stops every one of them and none outlives the run; the run's one timer is
    /// cancelled when the loop ends, however it ends. The outcome and
    /// the report are set as soon as the run is decided, before the children are cancelled and
    /// awaited. When cancelled before the run is decided, it sets neither: the run goes on in the
    /// cluster and the next start re-attaches it.
    func run() async {
        let jobs = cache.jobs(in: settings.namespace), pods = cache.pods(in: settings.namespace)
        // The cache's objects now, then every change: no gap, no repeat (see Informer.subscribe).
        let subscriptions = [
            jobs.subscribe(indexedAs: name) { [continuation] in continuation.yield(.job($0)) },
            pods.subscribe(indexedAs: name) { [continuation] in continuation.yield(.pod($0)) },
        ]
        await withDiscardingTaskGroup { group in
            await follow(in: &group)
            group.cancelAll()
        }
        for subscription in subscriptions { subscription.cancel() }
        continuation.finish()
    }

    /// One container's output stream.
    struct StreamKey: Hashable, Sendable {
        var pod: String
        var container: String
    }

    /// The run as the follower knows it. A class, so that each async frame of the follower holds a
    /// reference to it, not its fields (~1 KB, with a Job): a frame's size is kept by the run's task
    /// for its whole life (see ``follow(in:)``). Only the follower's own task touches it.
    final class State {
        var job: Job
        var jobGone = false
        var pods: [String: Pod] = [:]
        var timelines: [String: PodTimeline] = [:]
        /// The containers whose output is being read (or was), each with its stream's signal (which
        /// also stops it).
        var streaming: [StreamKey: PodEndSignal] = [:]
        var ends: [StreamKey: PodEndSignal] = [:]
        var streamsEnded: Set<StreamKey> = []
        /// The finished pods whose every started container's output is read.
        var logsDone: Set<String> = []
        var deleted: Set<String> = []
        var cancelled: String?
        var verdict: RunVerdict?
        /// Why the Job is to be deleted (a cancel, a pending timeout), until a delete has gone through.
        var jobDeletion: String?
        var lastResync: Date
        /// Since when a decided Job waits for its pods to show in the cache.
        var awaitingPodsSince: Date?
        /// When something failed that only time will retry (a delete).
        var retryAt: Date?
        /// The instant the run's timer wakes it at, and the timer (the clock's scheduled call, not a
        /// child of the run's group: a child cannot be cancelled alone, and one replaced must not sleep on).
        var timerAt: Date?
        var timer: ScheduledCall?
        /// What keeps the run from starting, and since when (``StartDiagnosis``, ``StartWatch``).
        var startWatch: StartWatch
        /// The Events last read about the Job and its pending pod, and when.
        var events: [Event] = []
        var eventsReadAt: Date?
        /// When this follower began (a Job without a pod after a moment has its Events read).
        var followingSince: Date
        /// Why the run could not start, when it failed for it.
        var startBlocker: StartBlocker.Cause?
        /// Where each pod ran, judged once it ran.
        var placements: [String: FargatePlacement] = [:]

        init(job: Job, lastResync: Date, startWatch: StartWatch, followingSince: Date) {
            self.job = job
            self.lastResync = lastResync
            self.startWatch = startWatch
            self.followingSince = followingSince
        }

        /// Whether following the pods is over: each is deleted, or — when the job keeps finished pods
        /// for a while (`CRON_POD_TTL`) — finished with its output read; the sweep deletes those once
        /// their time is up, so a TTL never keeps the run active.
        func podsAreDone(keepingFinishedPods: Bool) -> Bool {
            pods.allSatisfy { name, pod in
                deleted.contains(name) || (keepingFinishedPods && pod.status?.isFinished == true && logsDone.contains(name))
            }
        }

        /// Whether the pods a finished Job ran are all known, and finished or gone: what its verdict
        /// (an exit code, OOM, an eviction) and the follower's end rest on.
        var podsAccountedFor: Bool {
            let counted = (job.status?.succeeded ?? 0) + (job.status?.failed ?? 0)
            let ended = pods.filter { name, pod in deleted.contains(name) || pod.status?.isFinished == true }
            return ended.count == pods.count && ended.count >= max(counted, 1)
        }
    }

    /// The run's loop: one change at a time until the run is over.
    ///
    /// Memory: a task keeps the largest chain of async frames it ever had until it ends (the task
    /// allocator keeps its slabs), and a run's task lives as long as the run; for a thousand runs in
    /// flight, a thousand of these. So synchronous work stays out of the async functions here: a
    /// change is folded into the state by ``fold(_:into:)`` (synchronous, not inlined: the Jobs and
    /// pods it copies are on the thread's stack). Written inline in this loop, it made this frame
    /// 22.8 KB; it is 3.4 KB (BENCHMARKS.md, "Memory of runs in flight", says how to read the sizes).
    private func follow(in group: inout DiscardingTaskGroup) async {
        let start = clock.now()
        var state = State(job: created, lastResync: start, startWatch: StartWatch(bounds: startBounds), followingSince: start)
        continuation.yield(.tick)
        for await change in changes {
            if await take(change, &state, in: &group) { break }
        }
        state.timer?.cancel()
        for signal in state.streaming.values { signal.stop() }
        // Cancelled (the daemon is stopping) before the run was decided: nothing is known of its end.
        if Task.isCancelled && state.verdict == nil { return }
        finish(state)
    }

    /// Takes one change and does what the state then calls for.
    /// - Returns: whether the run is over.
    @inline(never)
    private func take(_ change: Change, _ state: inout State, in group: inout DiscardingTaskGroup) async -> Bool {
        if fold(change, into: &state) { await resync(&state) }
        await advance(&state, in: &group)
        if isOver(state) { return true }
        armTimer(&state)
        return false
    }

    /// What a change tells: the state it leaves. Synchronous and not inlined into ``take(_:_:in:)``:
    /// the Jobs and pods it copies live on the thread's stack, not in the task's async frame, whose
    /// memory a task keeps to its end (an async frame's size is a high-water mark of every run in
    /// flight).
    /// - Returns: whether the Job and pods are to be read afresh (the cache went silent).
    @inline(never)
    private func fold(_ change: Change, into state: inout State) -> Bool {
        logger.trace("run \(request.run): \(String(describing: change).prefix(60))")
        let now = clock.now()
        switch change {
        case .job(.added(let job)), .job(.updated(_, let job)): if job.metadata.uid == created.metadata.uid { state.job = job }
        case .job(.deleted(let job)): if job.metadata.uid == created.metadata.uid { state.jobGone = true }
        case .pod(.added(let pod)), .pod(.updated(_, let pod)): see(pod, in: &state)
        case .pod(.deleted(let pod)):
            see(pod, in: &state)
            if let pod = pod.metadata.name { markDeleted(pod, in: &state) }
        case .logsEnded(let key, _):
            state.streamsEnded.insert(key)
            noteLogsRead(of: key.pod, in: &state)
        case .cancel(let reason):
            if state.cancelled == nil, state.verdict == nil {
                state.cancelled = reason
                state.jobDeletion = reason
            }
        case .tick:
            if let at = state.timerAt, at <= now { state.timerAt = nil }
            if let at = state.retryAt, at <= now { state.retryAt = nil }
            if !isOver(state), now.timeIntervalSince(state.lastResync) >= seconds(resyncInterval) {
                state.lastResync = now
                return cacheIsSilent
            }
        }
        return false
    }

    /// Everything the present state calls for: log streams, deletions, the verdict.
    @inline(never)
    private func advance(_ state: inout State, in group: inout DiscardingTaskGroup) async {
        startStreams(&state, in: &group)
        await deleteFinishedPods(&state)
        if state.verdict == nil {
            let now = clock.now()
            let verdict = classify(state, now: now)
            if verdict.outcome != nil {
                await decide(verdict, &state, now: now)
            } else if state.cancelled != nil || state.jobGone {
                giveUp(state)
            } else {
                await diagnose(&state, now: now)
            }
        }
        if let why = state.jobDeletion, !state.jobGone, state.retryAt == nil {
            if await deleteJob(state.job.metadata.uid, why: why) { state.jobDeletion = nil } else { state.retryAt = clock.now() + Self.retryDelay }
        }
        if state.verdict != nil {
            startStreams(&state, in: &group)
            await deleteFinishedPods(&state)
        }
    }

    /// The Job reads as decided: the verdict is given once its pods are known (or after a short wait
    /// and one list of them), since the pod watch may lag the Job watch.
    @inline(never)
    private func decide(_ verdict: RunVerdict, _ state: inout State, now: Date) async {
        var verdict = verdict
        if state.job.status?.isFinished == true, !state.podsAccountedFor {
            let since = state.awaitingPodsSince ?? now
            state.awaitingPodsSince = since
            guard now.timeIntervalSince(since) >= Self.podCatchUp else { return }
            await refreshPods(&state)
            verdict = classify(state, now: now)
            guard verdict.outcome != nil else { return }
        }
        settle(verdict, state)
    }

    /// Until the run is over: undecided, or decided with pods not yet gone (a cancel's cascade).
    private func isOver(_ state: State) -> Bool {
        state.verdict != nil && state.podsAreDone(keepingFinishedPods: settings.podTTL > .zero)
    }

    /// Whether either informer of the namespace has heard nothing from the server for a resync
    /// interval: its watch may have stalled without failing (noticed only at the transport's idle
    /// timeout), and the run must not wait for that. A healthy watch gets events or bookmarks.
    private var cacheIsSilent: Bool {
        let jobs = cache.jobs(in: settings.namespace), pods = cache.pods(in: settings.namespace)
        return [jobs.timeSinceContact, pods.timeSinceContact].contains { ($0 ?? .seconds(Int64.max / 2)) >= resyncInterval }
    }

    /// The earliest instant time alone changes something, and the run's one timer, set to wake it then.
    @inline(never)
    private func armTimer(_ state: inout State) {
        var due: [Date] = []
        if !isOver(state) { due.append(state.lastResync + seconds(resyncInterval)) }
        if let retry = state.retryAt { due.append(retry) }
        if let since = state.awaitingPodsSince, state.verdict == nil { due.append(since + Self.podCatchUp) }
        if state.verdict == nil, !state.pods.values.contains(where: { $0.status?.phase == "Running" || $0.status?.isFinished == true }),
            let created = state.job.metadata.creationTimestamp ?? state.job.status?.startTime
        {
            // Just past it: the classifier's comparison is strict.
            due.append(created + seconds(settings.pendingTimeout) + 0.001)
        }
        if state.verdict == nil, let look = nextDiagnosis(state) { due.append(look) }
        for (podName, pod) in state.pods where !state.deleted.contains(podName) && pod.status?.isFinished == true {
            let finished = state.timelines[podName]?.finishedAt ?? state.job.status?.completionTime
            guard let finished else { continue }
            if !state.logsDone.contains(podName) { due.append(finished + seconds(logGrace)) }
            if settings.podTTL > .zero { due.append(finished + seconds(settings.podTTL)) }
        }
        guard let next = due.min() else { return }
        if let armed = state.timerAt, armed <= next { return }
        state.timerAt = next
        // One timer a run: a later one an earlier one replaces would otherwise sleep on, a task and its
        // memory, until its time (a minute's resync, for every run in flight). Cancelled at the end.
        // The tick comes at the instant itself, never before (a clock may wake a sleeper early): a tick
        // before it would leave the run's timer marked armed with nothing asleep (``fold(_:into:)``
        // clears it only once it is due). On the system clock, a dispatch timer: no task a run.
        state.timer?.cancel()
        state.timer = clock.call(at: next) { [continuation] in continuation.yield(.tick) }
    }

    private func finish(_ state: State) {
        let verdict = state.verdict ?? .failed(.exitStatus, exitCode: nil, reason: "following the run was stopped")
        let result: RunOutcome = state.cancelled.map { .cancelled(reason: $0) } ?? verdict.outcome ?? .failed(exitCode: nil, reason: "unknown")
        let ordered = state.timelines.values.sorted { ($0.createdAt ?? .distantPast) < ($1.createdAt ?? .distantPast) }
        logger.debug("run \(request.run) of \(settings.jobName) ended: \(verdict)")
        report.set(RunReport(
            slot: request.slot, run: request.run, namespace: settings.namespace, jobName: name, jobUID: created.metadata.uid,
            pods: ordered, verdict: verdict, costs: ordered.compactMap { FargateCost(timeline: $0, rates: nil) },
            linesWritten: linesWritten.load(ordering: .relaxed), placement: ordered.last.flatMap { state.placements[$0.pod] } ?? .unknown,
            startBlocker: state.startBlocker))
        outcome.set(result)
    }

    func seconds(_ duration: Duration) -> Double { GarbageCollectionPlan.seconds(duration) }
}
