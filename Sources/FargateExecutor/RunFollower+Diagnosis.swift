import Foundation
import Kubernetes
import Logging
import RunModel
import Scheduler
import Systemd

/// Why a run cannot start, and where its pod ran: what the follower reads beyond the verdict.
///
/// The cache gives the pods' container statuses and conditions (image pulls, the scheduler's
/// `Unschedulable`); the Events are not cached (the daemon's Role may `get` and `list` them, not
/// `watch`), so they are listed only for a run that shows a sign of trouble: a Job with no pod (or
/// only a failed one) a moment after its creation (the Job controller's `FailedCreate` is only in Events), or a pending
/// pod the diagnosis already names a blocker for (its Events give the kubelet's own words). A run
/// that starts normally, on Fargate or not, costs no Events request; a stuck one at most two every
/// ``eventsInterval``, and the Job's come from one list a namespace that every run asking within a
/// second shares (``JobEvents``: a herd's Jobs wait for their pods together).
extension RunFollower {
    /// How long a Job may be without a pod before its Events are read. Somewhat arbitrarily 2 s: the
    /// Job controller creates a pod within milliseconds of the Job.
    static let podCreationGrace: TimeInterval = 2
    /// How often a stuck run's Events are read again. Somewhat arbitrarily 5 s: the shortest bound
    /// that waits (``StartBounds/default``) is 30 s, and the Job controller's retries come 1–10 s apart.
    static let eventsInterval: TimeInterval = 5

    /// Looks at what keeps the undecided run from starting; fails it once a blocker lasted past its
    /// bound (the Job is deleted, the reason names the cause in the cluster's words).
    ///
    /// The judging is synchronous and not inlined (``judgeStart(_:now:)``): only the Events read
    /// awaits, so this async frame stays small (a run's task keeps its largest frames to its end).
    func diagnose(_ state: inout State, now: Date) async {
        guard state.verdict == nil, state.cancelled == nil, !state.jobGone, state.job.status?.isFinished != true else { return }
        if wantsEvents(state, now: now) {
            state.eventsReadAt = now
            if let events = await readEvents(state) { state.events = events }
        }
        judgeStart(state, now: now)
    }

    /// Whether the Events are to be read now: a sign of trouble, and the last read long enough ago.
    @inline(never)
    func wantsEvents(_ state: State, now: Date) -> Bool {
        let blockers = StartDiagnosis.blockers(job: state.job, pods: Array(state.pods.values), events: state.events)
        return needsEvents(state, blockers: blockers, now: now)
            && (state.eventsReadAt.map { now.timeIntervalSince($0) >= Self.eventsInterval } ?? true)
    }

    /// Names each new blocker in the journal, and fails the run once one lasted past its bound.
    @inline(never)
    func judgeStart(_ state: State, now: Date) {
        let blockers = StartDiagnosis.blockers(job: state.job, pods: Array(state.pods.values), events: state.events)
        let finding = state.startWatch.update(blockers, at: now)
        for blocker in finding.new where finding.failure?.blocker != blocker {
            let bound = Int(startBounds.bound(for: blocker.cause).components.seconds)
            logger.log(RunEvent(
                .stuckPending, job: settings.jobName, runID: request.run.description, scheduledAt: request.slot.scheduledAt,
                namespace: settings.namespace, kubernetesJob: name,
                reason: "cannot start yet: \(blocker); the run fails if it lasts \(bound) s"))
        }
        guard let failure = finding.failure else { return }
        state.verdict = .failed(.cannotStart, exitCode: nil, reason: failure.reason)
        state.startBlocker = failure.blocker.cause
        state.jobDeletion = failure.reason
        logger.log(RunEvent(
            .stuckPending, job: settings.jobName, runID: request.run.description, scheduledAt: request.slot.scheduledAt,
            namespace: settings.namespace, kubernetesJob: name, reason: "\(failure.reason); its Job is deleted"))
    }

    /// Whether the run shows a sign of trouble that only Events explain or word better.
    func needsEvents(_ state: State, blockers: [StartBlocker], now: Date) -> Bool {
        !blockers.isEmpty || (awaitsAPod(state) && now.timeIntervalSince(state.followingSince) >= Self.podCreationGrace)
    }

    /// Whether the Job should be making a pod: it has none yet, or its newest failed and none replaced
    /// it (a retry is due). Not a Job whose pod succeeded and whose own end the cache has yet to show:
    /// that is the usual run, and costs no Events request.
    func awaitsAPod(_ state: State) -> Bool {
        let live = state.pods.contains { name, pod in !state.deleted.contains(name) && pod.status?.isFinished != true }
        guard !live else { return false }
        guard let newest = newestPod(state) else { return true }
        return newest.status?.phase == "Failed"
    }

    func newestPod(_ state: State) -> Pod? {
        state.pods.values.max { ($0.metadata.creationTimestamp ?? .distantPast) < ($1.metadata.creationTimestamp ?? .distantPast) }
    }

    /// When the undecided run should next be looked at for what keeps it from starting: a blocker's
    /// bound, the next read of Events, or the moment a Job without a pod becomes suspect.
    func nextDiagnosis(_ state: State) -> Date? {
        var due: [Date] = []
        // Just past it: the watch's comparison is inclusive, the timer may wake a hair early.
        if let deadline = state.startWatch.nextDeadline() { due.append(deadline + 0.001) }
        if awaitsAPod(state) {
            due.append(max(state.followingSince + Self.podCreationGrace, (state.eventsReadAt ?? .distantPast) + Self.eventsInterval))
        } else if state.startWatch.nextDeadline() != nil, let read = state.eventsReadAt {
            due.append(read + Self.eventsInterval)
        }
        return due.min()
    }

    /// The Events about the Job (while it has no live pod) and about its newest pod (while Pending);
    /// `nil` when they could not be read (the last ones read stand).
    func readEvents(_ state: State) async -> [Event]? {
        let (job, pendingPod) = eventSubjects(state)
        let (client, namespace, jobEvents) = (client, settings.namespace, cache.jobEvents)
        do {
            return try await inShortTask { () async throws(KubernetesError) in
                var events: [Event] = []
                // The Job's from the namespace's shared list: a herd's Jobs wait for their pods together.
                if let job { events += try await jobEvents.events(about: job, in: namespace) }
                if let pendingPod { events += try await client.events(about: pendingPod, kind: "Pod", in: namespace) }
                return events
            }
        } catch {
            logger.warning("reading the Events of Job \(settings.namespace)/\(name) failed (read again in \(Int(Self.eventsInterval)) s): \(error)")
            return nil
        }
    }

    /// Whose Events to read: the Job's while it has no live pod, its newest pod's while Pending.
    @inline(never)
    func eventSubjects(_ state: State) -> (job: String?, pendingPod: String?) {
        let newest = newestPod(state)
        let pending = newest?.metadata.name.flatMap { pod in newest?.status?.phase == "Pending" && !state.deleted.contains(pod) ? pod : nil }
        return (awaitsAPod(state) ? name : nil, pending)
    }

    /// Judges where a pod ran, once it ran (Fargate's annotation comes with its node), and warns once
    /// when it was not Fargate.
    func judgePlacement(of pod: Pod, in state: inout State) {
        guard let podName = pod.metadata.name, state.placements[podName] == nil,
            pod.status?.phase == "Running" || pod.status?.isFinished == true
        else { return }
        let placement = FargatePlacement(pod: pod)
        guard placement != .unknown else { return }
        state.placements[podName] = placement
        guard case .notFargate(let node, let why) = placement else { return }
        logger.log(RunEvent(
            .notOnFargate, job: settings.jobName, runID: request.run.description, scheduledAt: request.slot.scheduledAt,
            namespace: settings.namespace, kubernetesJob: name, pod: podName,
            reason: "\(why) (node \(node); does a Fargate profile select the pod's namespace and labels?)"))
    }
}
