import Foundation
import Kubernetes
import Logging
import RunModel
import Scheduler
import Systemd

/// Follows one run's Job and pods to the end: streams each pod's output, deletes each finished pod
/// as soon as its output is read (plus `CRON_POD_TTL`), fails a run left Pending too long, and
/// reports the verdict. Driven by watches of the Job and its pods, plus a one-second tick for timeouts.
final class RunFollower: Sendable {
    enum Change: Sendable {
        case job(WatchEvent<Job>)
        case pod(WatchEvent<Pod>)
        case logsEnded(pod: String, lines: Int)
        case cancel(reason: String)
        case tick
    }

    let client: KubeClient
    let settings: KubernetesJobSettings
    let request: RunRequest
    let created: Job
    let clock: any WallClock
    let logger: Logger
    let logGrace: Duration
    let resyncInterval: Duration
    let write: @Sendable (_ pod: String, _ text: String, _ timestamp: Date?) -> Void
    let changes: AsyncStream<Change>
    let continuation: AsyncStream<Change>.Continuation
    let outcome = Latch<RunOutcome>()
    let report = Latch<RunReport>()

    init(
        client: KubeClient, settings: KubernetesJobSettings, request: RunRequest, created: Job, clock: any WallClock,
        logger: Logger, logGrace: Duration, resyncInterval: Duration, write: @escaping @Sendable (String, String, Date?) -> Void
    ) {
        self.client = client
        self.settings = settings
        self.request = request
        self.created = created
        self.clock = clock
        self.logger = logger
        self.logGrace = logGrace
        self.resyncInterval = resyncInterval
        self.write = write
        (changes, continuation) = AsyncStream.makeStream(of: Change.self)
    }

    var name: String { created.metadata.name ?? "" }

    /// Asks the run to stop: its Job is deleted and the outcome is `cancelled`.
    func cancel(reason: String) { continuation.yield(.cancel(reason: reason)) }

    /// Runs until the run has ended and its pods are gone; sets ``outcome`` and ``report``.
    ///
    /// The watches, the one-second tick and each pod's log stream are child tasks of one task group,
    /// so that cancelling the caller (the daemon stopping) stops every one of them and none outlives
    /// the run. The outcome and the report are set as soon as the run is decided, before the
    /// children are cancelled and awaited: a watch connection slow to notice its cancellation does
    /// not hold the run's outcome back. When cancelled before the run is decided, it sets neither:
    /// the run goes on in the cluster and the next start re-attaches it.
    func run() async {
        let selector = "\(OwnershipLabels.job)=\(settings.jobName),"
            + "\(OwnershipLabels.scheduledAt)=\(OwnershipLabels.labelValue(of: request.slot.scheduledAt))"
        await withDiscardingTaskGroup { group in
            group.addTask { [client, continuation, settings] in
                do {
                    for try await event in Watcher<Job>(client: client, namespace: settings.namespace, labelSelector: selector) {
                        continuation.yield(.job(event))
                    }
                } catch {
                    continuation.yield(.tick)
                }
            }
            group.addTask { [client, continuation, settings, name] in
                do {
                    for try await event in Watcher<Pod>(client: client, namespace: settings.namespace, labelSelector: "job-name=\(name)") {
                        continuation.yield(.pod(event))
                    }
                } catch {
                    continuation.yield(.tick)
                }
            }
            group.addTask { [clock, continuation] in
                while !Task.isCancelled {
                    do { try await clock.sleep(until: clock.now().addingTimeInterval(1)) } catch { return }
                    continuation.yield(.tick)
                }
            }
            await follow(in: &group)
            group.cancelAll()
        }
        continuation.finish()
    }

    private struct State {
        var job: Job
        var jobGone = false
        var pods: [String: Pod] = [:]
        var timelines: [String: PodTimeline] = [:]
        /// The pods whose output is being read, each with the signal that stops its stream.
        var streaming: [String: Latch<Void>] = [:]
        var ends: [String: PodEndSignal] = [:]
        var logsDone: Set<String> = []
        var deleted: Set<String> = []

        /// Whether following the pods is over: each is deleted, or — when the job keeps finished pods
        /// for a while (`CRON_POD_TTL`) — finished with its output read; the sweep deletes those once
        /// their time is up, so a TTL never keeps the run active.
        func podsAreDone(keepingFinishedPods: Bool) -> Bool {
            pods.allSatisfy { name, pod in
                deleted.contains(name) || (keepingFinishedPods && pod.status?.isFinished == true && logsDone.contains(name))
            }
        }
        var lines = 0
        var cancelled: String?
        var verdict: RunVerdict?
        /// Why the Job is to be deleted (a cancel, a pending timeout), until a delete has gone through.
        var jobDeletion: String?
        var lastResync: Date
    }

    private func follow(in group: inout DiscardingTaskGroup) async {
        var state = State(job: created, lastResync: clock.now())
        continuation.yield(.tick)
        for await change in changes {
            logger.trace("run \(request.run): \(String(describing: change).prefix(60))")
            switch change {
            case .job(.added(let job)), .job(.modified(let job)): if job.metadata.uid == created.metadata.uid { state.job = job }
            case .job(.deleted(let job)): if job.metadata.uid == created.metadata.uid { state.jobGone = true }
            case .pod(.added(let pod)), .pod(.modified(let pod)): see(pod, in: &state)
            case .pod(.deleted(let pod)):
                see(pod, in: &state)
                if let pod = pod.metadata.name { markDeleted(pod, in: &state) }
            case .logsEnded(let pod, let lines):
                state.logsDone.insert(pod)
                state.timelines[pod]?.logsEndedAt = clock.now()
                state.lines += lines
            case .cancel(let reason):
                if state.cancelled == nil, state.verdict == nil {
                    state.cancelled = reason
                    state.jobDeletion = reason
                }
            case .tick:
                // Until the run is over: undecided, or decided with pods not yet gone (a cancel's cascade).
                let over = state.verdict != nil && state.podsAreDone(keepingFinishedPods: settings.podTTL > .zero)
                if !over, clock.now().timeIntervalSince(state.lastResync) >= seconds(resyncInterval) {
                    await resync(&state)
                }
            case .job, .pod: break
            }
            startStreams(&state, in: &group)
            await deleteFinishedPods(&state)
            if state.verdict == nil {
                let now = clock.now()
                let verdict = RunClassifier.verdict(job: state.job, pods: Array(state.pods.values), now: now,
                                                    pendingTimeout: settings.pendingTimeout)
                if verdict.outcome != nil {
                    // The Job and pod watches are separate streams: read the pods afresh before judging,
                    // so the verdict sees the pod state that led to the Job's condition.
                    await refreshPods(&state)
                    let verdict = RunClassifier.verdict(job: state.job, pods: Array(state.pods.values), now: now,
                                                        pendingTimeout: settings.pendingTimeout)
                    state.verdict = verdict
                    if case .failed(.pendingTimeout, _, let reason) = verdict {
                        logger.log(RunEvent(
                            .stuckPending, job: settings.jobName, runID: request.run.description,
                            scheduledAt: request.slot.scheduledAt, namespace: settings.namespace, kubernetesJob: name,
                            reason: "\(reason); its Job is deleted"))
                        state.jobDeletion = reason
                    }
                } else if state.cancelled != nil || state.jobGone {
                    state.verdict = .failed(.exitStatus, exitCode: nil, reason: state.cancelled ?? "its Job \(name) was deleted")
                }
            }
            if let why = state.jobDeletion, !state.jobGone, await deleteJob(state.job, why: why) {
                state.jobDeletion = nil
            }
            if state.verdict != nil {
                startStreams(&state, in: &group)
                await deleteFinishedPods(&state)
                if state.podsAreDone(keepingFinishedPods: settings.podTTL > .zero) { break }
            }
        }
        for stop in state.streaming.values { stop.set(()) }
        // Cancelled (the daemon is stopping) before the run was decided: nothing is known of its end.
        if Task.isCancelled && state.verdict == nil { return }
        let verdict = state.verdict ?? .failed(.exitStatus, exitCode: nil, reason: "following the run was stopped")
        let result: RunOutcome = state.cancelled.map { .cancelled(reason: $0) } ?? verdict.outcome ?? .failed(exitCode: nil, reason: "unknown")
        let ordered = state.timelines.values.sorted { ($0.createdAt ?? .distantPast) < ($1.createdAt ?? .distantPast) }
        logger.debug("run \(request.run) of \(settings.jobName) ended: \(verdict)")
        report.set(RunReport(
            slot: request.slot, run: request.run, namespace: settings.namespace, jobName: name, jobUID: created.metadata.uid,
            pods: ordered, verdict: verdict, costs: ordered.compactMap { FargateCost(timeline: $0, rates: nil) },
            linesWritten: state.lines))
        outcome.set(result)
    }

    /// Reads the Job and its pods afresh: a watch that went silent without the connection failing
    /// (a stall) is only noticed at the transport's idle timeout, and the run must not wait for it.
    private func resync(_ state: inout State) async {
        state.lastResync = clock.now()
        do {
            if let job = try await client.find(Job.self, named: name, in: settings.namespace), job.metadata.uid == created.metadata.uid {
                state.job = job
            } else {
                state.jobGone = true  // deleted, or replaced by another of the same name
            }
        } catch {
            logger.warning("reading Job \(settings.namespace)/\(name) afresh failed; the watch's view is used: \(error)")
        }
        await refreshPods(&state)
    }

    private func refreshPods(_ state: inout State) async {
        do {
            let listed = try await client.list(Pod.self, in: settings.namespace, labelSelector: "job-name=\(name)").items
            for pod in listed { see(pod, in: &state) }
            // A pod known but no longer listed is gone (deleted with its Job while a watch was silent).
            let present = Set(listed.compactMap(\.metadata.name))
            for pod in state.pods.keys where !present.contains(pod) { markDeleted(pod, in: &state) }
        } catch {
            logger.warning("listing the pods of Job \(settings.namespace)/\(name) failed; the watch's view is used: \(error)")
        }
    }

    private func see(_ pod: Pod, in state: inout State) {
        guard let podName = pod.metadata.name else { return }
        state.pods[podName] = pod
        if pod.status?.isFinished == true { endSignal(of: podName, in: &state).markFinished() }
        let reading = PodTimeline(pod: pod)
        if state.timelines[podName] == nil { state.timelines[podName] = reading } else { state.timelines[podName]?.update(with: reading) }
    }

    private func markDeleted(_ pod: String, in state: inout State) {
        guard !state.deleted.contains(pod) else { return }
        state.deleted.insert(pod)
        if state.timelines[pod]?.deletedAt == nil { state.timelines[pod]?.deletedAt = clock.now() }
        endSignal(of: pod, in: &state).markFinished()
        state.streaming[pod]?.set(())
    }

    private func endSignal(of pod: String, in state: inout State) -> PodEndSignal {
        if let signal = state.ends[pod] { return signal }
        let signal = PodEndSignal()
        state.ends[pod] = signal
        return signal
    }

    /// Starts following the output of every pod whose container has started, each stream a child
    /// task of the run's group that ends with the pod's output, or when its stop signal is set.
    private func startStreams(_ state: inout State, in group: inout DiscardingTaskGroup) {
        for (podName, pod) in state.pods where state.streaming[podName] == nil && !state.deleted.contains(podName) {
            guard pod.status?.phase == "Running" || pod.status?.isFinished == true else { continue }
            Failpoint.reach("running")
            let stream = PodLogStream(
                // The run's container (the one whose command is the job's): a pod with a sidecar or
                // several containers answers 400 to a log request that names none.
                client: client, namespace: settings.namespace, pod: podName, container: pod.spec?.containers.first?.name,
                write: { [write] text, stamp in write(podName, text, stamp) }, logger: logger,
                podState: { [client, settings] in
                    do {
                        guard let current = try await client.find(Pod.self, named: podName, in: settings.namespace) else { return .gone }
                        return current.status?.isFinished == true ? .finished : .running
                    } catch {
                        return .unknown  // not known to have ended: the stream is resumed, never cut short
                    }
                },
                finished: endSignal(of: podName, in: &state))
            let stop = Latch<Void>()
            state.streaming[podName] = stop
            group.addTask { [continuation] in
                let lines = await withTaskGroup(of: Int?.self) { race in
                    race.addTask { await stream.run() }
                    race.addTask {
                        _ = await stop.wait()
                        return nil
                    }
                    // The stream's count, whether it ended by itself or was stopped (then cancelled).
                    var lines = 0
                    for await result in race {
                        if let result { lines = result }
                        race.cancelAll()
                    }
                    return lines
                }
                continuation.yield(.logsEnded(pod: podName, lines: lines))
            }
        }
    }

    /// Deletes each finished pod whose output is read (or whose grace ran out) once its TTL passed.
    private func deleteFinishedPods(_ state: inout State) async {
        let now = clock.now()
        for (podName, pod) in state.pods where !state.deleted.contains(podName) && pod.status?.isFinished == true {
            let finished = state.timelines[podName]?.finishedAt ?? now
            let read = state.logsDone.contains(podName) || now.timeIntervalSince(finished) >= seconds(logGrace)
            guard read, now.timeIntervalSince(finished) >= seconds(settings.podTTL) || settings.podTTL == .zero else { continue }
            Failpoint.reach("finished")
            do {
                try await client.delete(Pod.self, named: podName, in: settings.namespace, uid: pod.metadata.uid)
                Failpoint.reach("pod-deleted")
                markDeleted(podName, in: &state)
            } catch let error where error.isNotFound {
                markDeleted(podName, in: &state)
            } catch {
                logger.error("deleting finished pod \(settings.namespace)/\(podName) failed (retried on the next change): \(error)")
            }
        }
    }

    /// - Returns: whether the Job is gone; if not, the delete is tried again on the next change or tick.
    private func deleteJob(_ job: Job, why: String) async -> Bool {
        do {
            try await client.delete(Job.self, named: name, in: settings.namespace, uid: job.metadata.uid, propagation: .background)
            return true
        } catch let error where error.isNotFound {
            return true
        } catch {
            logger.error("deleting Job \(settings.namespace)/\(name) (\(why)) failed (retried on the next change): \(error)")
            return false
        }
    }

    private func seconds(_ duration: Duration) -> Double { GarbageCollectionPlan.seconds(duration) }
}
