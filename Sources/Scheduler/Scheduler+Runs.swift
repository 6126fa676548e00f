import Foundation
import Logging
import RunModel

/// A start the core decided on, waiting to be recorded and called.
struct PlannedStart: Sendable {
    var slot: Slot
    var trigger: Trigger
    var replacing: [RunID]
}

/// The starts of one wake-up, handled in a task of their own.
struct Herd: Sendable {
    var id: Int
    var starts: [PlannedStart]
    /// Per job, the latches of the earlier herd with a slot of that job: this herd's start calls of
    /// the job wait for that herd's calls of it, and a slot that replaces waits for that whole herd.
    var after: [String: JobStartTail]
    /// Per job of this herd, set once its start calls have returned (or it was dropped before them).
    var callsDone: [String: Latch<Void>]
    /// Set when this herd is done: its starts recorded and their runs followed.
    var done: Latch<Void>
}

/// What the next herd with a slot of a job waits for: the latest herd's start calls of that job
/// (so the job's slots start in order, whatever else that herd holds), and that whole herd (so that a
/// run a slot replaces is recorded and followed before it is cancelled).
struct JobStartTail: Sendable {
    var calls: Latch<Void>
    var herd: Latch<Void>
}

extension Scheduler {
    /// Starts a herd and then says it is done (to ``settle()``, to the next herd of its jobs, and to
    /// a stopping loop).
    func start(_ herd: Herd) async {
        await start(herd.starts, after: herd.after, callsDone: herd.callsDone)
        for latch in herd.callsDone.values { latch.set(()) }  // jobs dropped before their calls
        herd.done.set(())
        for (job, tail) in jobStartTails where tail.herd === herd.done { jobStartTails[job] = nil }
        herdsInFlight[herd.id] = nil
        resumeSettled()
        if herdsInFlight.isEmpty {
            herdDrainWaiter?.resume()
            herdDrainWaiter = nil
        }
    }

    /// Records the intents of a herd (the starts of one wake-up) in one durable write, replaces what
    /// their policies replace, calls the executors' `start` for all of them concurrently, and records
    /// the runs that started in one more write.
    ///
    /// The global limits hold as before: the core hands out at most `maxStartsPerSecond` starts a
    /// second and `maxActiveRuns` active runs. The loop does not wait for a herd: the next second's
    /// herd starts while this one's creates are in flight, so a slow API server delays only the runs
    /// it is slow for. Slots of one job keep their order across herds: a herd's start calls of a job
    /// wait until the earlier herd's calls of that job have returned (`after`), so a catch-up's slots
    /// start oldest first, while its other jobs go ahead; a slot that replaces waits for that whole
    /// herd, so that the run it replaces is known (followed) before it is cancelled.
    private func start(_ herd: [PlannedStart], after: [String: JobStartTail], callsDone: [String: Latch<Void>]) async {
        var ready: [(planned: PlannedStart, job: ScheduledJob)] = []
        for planned in herd {
            guard let job = state.job(named: planned.slot.job) else {
                state.runEnded(planned.slot)
                triggerWaiters.removeValue(forKey: planned.slot)?.resume(returning: .unknownJob(planned.slot.job))
                continue
            }
            if !planned.replacing.isEmpty { _ = await after[planned.slot.job]?.herd.wait() }
            await replace(planned.replacing, by: planned.slot)
            ready.append((planned, job))
        }
        guard !ready.isEmpty else { return }

        let intents = ready.map { RunIntent(slot: $0.planned.slot, trigger: $0.planned.trigger, policy: $0.job.concurrency) }
        let recorded = await store.recordIntents(intents)
        precondition(recorded.count == intents.count, "the run store answered \(recorded.count) of \(intents.count) intents")
        var requests: [(request: RunRequest, executor: ExecutorKind)] = []
        var refused: [(planned: PlannedStart, job: ScheduledJob, error: RunStoreError)] = []
        for ((planned, job), result) in zip(ready, recorded) {
            switch result {
            case .success(let id):
                state.runRecorded(planned.slot, id: id)
                // A scheduled slot may keep trying to start until its starting deadline; a manual
                // trigger has none (the executor's own bound applies).
                let deadline = planned.trigger == .manual
                    ? nil : job.startingDeadline.map { planned.slot.scheduledAt.addingTimeInterval($0.timeInterval) }
                let request = RunRequest(
                    slot: planned.slot, run: id, trigger: planned.trigger, command: job.command,
                    environment: job.environment, timeout: job.timeout, retries: job.retries, startDeadline: deadline)
                requests.append((request, job.executor))
            case .failure(let error):
                state.runEnded(planned.slot)
                refused.append((planned, job, error))
            }
        }
        if !refused.isEmpty { wake.signal() }

        let outcomes = await callStart(requests, after: after.mapValues(\.calls), callsDone: callsDone)
        var starts: [RunStart] = []
        for (request, outcome) in zip(requests.map(\.request), outcomes) {
            switch outcome.result {
            case .success(let handle):
                starts.append(RunStart(run: request.run, handle: handle, at: outcome.returnedAt))
            case .failure(let error):
                await end(request.slot, request.run, .failed(exitCode: nil, reason: "could not start: \(error)"))
                triggerWaiters.removeValue(forKey: request.slot)?.resume(returning: .refused("could not start: \(error)"))
            }
        }
        let startRecords = await store.recordStarts(starts)
        let slots = Dictionary(requests.map { ($0.request.run, $0.request) }, uniquingKeysWith: { first, _ in first })
        for (start, result) in zip(starts, startRecords) {
            guard let request = slots[start.run] else { continue }
            if case .failure(let error) = result {
                // The run is going: keep following it, so its end is still recorded.
                logger.error("cannot record a run's start", metadata: metadata(request.slot, start.run, ["error": "\(error)"]))
            }
            let observation = Observation(slot: request.slot, id: start.run, handle: start.handle)
            following[start.run] = observation
            workSink.yield(.follow(observation))
            logger.debug(
                "run started",
                metadata: metadata(request.slot, start.run, ["trigger": "\(request.trigger.rawValue)", "handle": "\(start.handle)"]))
            hooks.event(.started(request.slot, run: start.run, trigger: request.trigger, handle: start.handle))
            triggerWaiters.removeValue(forKey: request.slot)?.resume(returning: .started(start.run))
        }
        for (planned, job, error) in refused { await handleRefusal(planned, job: job, error: error) }
    }

    /// Calls `start` on each request's executor, the jobs all at once and each job's slots oldest
    /// first (a catch-up under `allow` starts its slots in order), each job after the earlier herd's
    /// calls of it (`after`), setting the job's `callsDone` once its calls have returned; returns each
    /// result, in order, with the instant its call returned.
    private func callStart(
        _ requests: [(request: RunRequest, executor: ExecutorKind)], after: [String: Latch<Void>],
        callsDone: [String: Latch<Void>]
    ) async -> [(result: Result<RunHandle, ExecutorError>, returnedAt: Date)] {
        let executors = self.executors, output = self.output, clock = self.clock
        var byJob: [String: [Int]] = [:]
        var jobOrder: [String] = []
        for (index, entry) in requests.enumerated() {
            if byJob[entry.request.slot.job] == nil { jobOrder.append(entry.request.slot.job) }
            byJob[entry.request.slot.job, default: []].append(index)
        }
        func calls(of job: String) -> [StartCall] {
            byJob[job, default: []].map { StartCall(index: $0, request: requests[$0].request, kind: requests[$0].executor) }
        }
        var outcomes = [(result: Result<RunHandle, ExecutorError>, returnedAt: Date)?](repeating: nil, count: requests.count)
        if jobOrder.count == 1, let job = jobOrder.first {
            // One job (a slot of one job is the usual wake-up): its calls run in this task. A child task
            // would be one more hand-over to another thread of the pool between the intent's commit and
            // the create, a wake-up that waits for a free core when the host is busy.
            for (index, result, returnedAt) in await Self.call(
                calls(of: job), after: after[job], done: callsDone[job], executors: executors, output: output, clock: clock)
            {
                outcomes[index] = (result, returnedAt)
            }
        } else {
            await withTaskGroup(of: [(Int, Result<RunHandle, ExecutorError>, Date)].self) { group in
                for job in jobOrder {
                    let jobCalls = calls(of: job), earlier = after[job], done = callsDone[job]
                    group.addTask {
                        await Self.call(jobCalls, after: earlier, done: done, executors: executors, output: output, clock: clock)
                    }
                }
                for await results in group {
                    for (index, result, returnedAt) in results { outcomes[index] = (result, returnedAt) }
                }
            }
        }
        return outcomes.map { outcome in
            guard let outcome else { preconditionFailure("a start call of the herd returned nothing") }
            return outcome
        }
    }

    /// One start call to make: the request's place in the herd, the request, its executor.
    struct StartCall: Sendable {
        var index: Int
        var request: RunRequest
        var kind: ExecutorKind
    }

    /// Makes one job's start calls in order, after the earlier herd's calls of that job (`after`),
    /// and sets `done` once they have returned; returns each result with the instant it returned.
    private static func call(
        _ calls: [StartCall], after earlier: Latch<Void>?, done: Latch<Void>?, executors: [ExecutorKind: any Executor],
        output: any OutputSink, clock: any WallClock
    ) async -> [(Int, Result<RunHandle, ExecutorError>, Date)] {
        _ = await earlier?.wait()
        defer { done?.set(()) }
        var results: [(Int, Result<RunHandle, ExecutorError>, Date)] = []
        for call in calls {
            let result: Result<RunHandle, ExecutorError>
            do throws(ExecutorError) {
                guard let executor = executors[call.kind] else {
                    throw ExecutorError("no executor named \(call.kind) is configured")
                }
                result = .success(try await executor.start(call.request, output: output))
            } catch { result = .failure(error) }
            results.append((call.index, result, clock.now()))
        }
        return results
    }

    /// Cancels the runs a `replace` slot replaces and records them as replaced, before it starts.
    private func replace(_ replacing: [RunID], by slot: Slot) async {
        for id in replacing {
            if let old = following.removeValue(forKey: id) {
                await executors[old.handle.executor]?.cancel(old.handle, reason: "replaced by the slot at \(slot)")
                logger.debug("run replaced", metadata: metadata(old.slot, id, ["replaced_by": "\(slot)"]))
                await record(id, old.slot, .replaced)
                hooks.event(.replaced(old.slot, run: id))
            }
        }
    }

    /// A slot whose intent the store refused: an overlap the core did not know of (another daemon,
    /// or an end not yet recorded) is recorded as skipped; anything else leaves the slot unstarted.
    private func handleRefusal(_ planned: PlannedStart, job: ScheduledJob, error: RunStoreError) async {
        let slot = planned.slot, trigger = planned.trigger
        if case .overlap(_, let blocking) = error {
            let reason = SkipReason.overlap(blocking: blocking)
            do { try await store.recordSkipped(slot, trigger: trigger, reason: reason, policy: job.concurrency) } catch {
                logger.error("cannot record a skipped slot", metadata: metadata(slot, nil, ["error": "\(error)"]))
            }
            hooks.event(.skipped(slot, trigger: trigger, reason: reason))
            triggerWaiters.removeValue(forKey: slot)?.resume(returning: .skipped(reason))
        } else {
            logger.error("slot not started", metadata: metadata(slot, nil, ["error": "\(error)"]))
            triggerWaiters.removeValue(forKey: slot)?.resume(returning: .refused(error.description))
        }
    }

    /// Follows one run to its end (in its own task).
    func follow(_ observation: Observation) async {
        guard let executor = executors[observation.handle.executor] else { return }
        // `nil`: the daemon is stopping and the run goes on; the next start re-attaches it.
        guard let outcome = await executor.outcome(of: observation.handle) else { return }
        if following[observation.id] != nil {
            await end(observation.slot, observation.id, outcome)
        }
        await executor.cleanUp(observation.handle)
    }

    /// A run ended: the core learns it first, so that the next slot sees the job free as soon as the
    /// store does (if a slot slips in between, the store refuses the overlap and it is skipped).
    func end(_ slot: Slot, _ id: RunID, _ outcome: RunOutcome) async {
        following[id] = nil
        state.runEnded(slot)
        wake.signal()
        await record(id, slot, .ended(outcome))
        logger.debug("run ended", metadata: metadata(slot, id, ["outcome": "\(outcome)"]))
        hooks.event(.ended(slot, run: id, outcome: outcome))
        if following.isEmpty || !following.values.contains(where: { !survivesShutdown($0) }) {
            drainWaiter?.resume()
            drainWaiter = nil
        }
    }

    func record(_ id: RunID, _ slot: Slot, _ state: RunStatus) async {
        do { try await store.recordEnd(id, state, at: clock.now()) } catch {
            logger.error("cannot record a run's end", metadata: metadata(slot, id, ["state": "\(state)", "error": "\(error)"]))
        }
    }

    func survivesShutdown(_ observation: Observation) -> Bool {
        executors[observation.handle.executor]?.runsSurviveShutdown ?? true
    }

    /// On shutdown: children of the daemon are stopped and their ends recorded; remote runs go on.
    func stopRunsThatDoNotSurvive() async {
        let toStop = following.values.filter { !survivesShutdown($0) }
        guard !toStop.isEmpty else { return }
        for observation in toStop {
            await executors[observation.handle.executor]?.cancel(observation.handle, reason: "the daemon is stopping")
        }
        // The executors escalate to SIGKILL themselves, so their ends come; wait for them.
        await withCheckedContinuation { drainWaiter = $0 }
    }

    func metadata(_ slot: Slot, _ id: RunID?, _ extra: Logger.Metadata = [:]) -> Logger.Metadata {
        var metadata = extra
        metadata["CRON_JOB"] = "\(slot.job)"
        metadata["CRON_SCHEDULED_AT"] = "\(slot.scheduledAt.formatted(.iso8601))"
        if let id { metadata["CRON_RUN_ID"] = "\(id)" }
        return metadata
    }
}
