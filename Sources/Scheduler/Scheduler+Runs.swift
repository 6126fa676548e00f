import Foundation
import Logging

extension Scheduler {
    /// Records the intent, replaces what the policy replaces, and starts the run.
    func start(_ slot: Slot, trigger: RunTrigger, replacing: [RunID]) async {
        guard let job = state.job(named: slot.job) else {
            state.runEnded(slot)
            triggerWaiters.removeValue(forKey: slot)?.resume(returning: .unknownJob(slot.job))
            return
        }
        for id in replacing {
            if let old = following.removeValue(forKey: id) {
                await executors[old.handle.executor]?.cancel(old.handle, reason: "replaced by the slot at \(slot)")
                logger.notice("run replaced", metadata: metadata(old.slot, id, ["replaced_by": "\(slot)"]))
                await record(id, old.slot, .replaced)
                hooks.event(.replaced(old.slot, run: id))
            }
        }
        let id: RunID
        do {
            id = try await store.recordIntent(slot, trigger: trigger, policy: job.concurrency)
        } catch {
            state.runEnded(slot)
            wake.signal()
            if case .overlap(_, let blocking) = error {
                // The store saw an active run the core did not (another daemon, or an end not yet recorded).
                let reason = SkipReason.overlap(blocking: blocking)
                do { try await store.recordSkipped(slot, trigger: trigger, reason: reason) } catch {
                    logger.error("cannot record a skipped slot", metadata: metadata(slot, nil, ["error": "\(error)"]))
                }
                hooks.event(.skipped(slot, trigger: trigger, reason: reason))
                triggerWaiters.removeValue(forKey: slot)?.resume(returning: .skipped(reason))
            } else {
                logger.error("slot not started", metadata: metadata(slot, nil, ["error": "\(error)"]))
                triggerWaiters.removeValue(forKey: slot)?.resume(returning: .refused(error.description))
            }
            return
        }
        state.runRecorded(slot, id: id)
        let handle: RunHandle
        do {
            guard let executor = executors[job.executor] else {
                throw ExecutorError("no executor named \(job.executor) is configured")
            }
            let request = RunRequest(
                slot: slot, run: id, trigger: trigger, command: job.command, environment: job.environment,
                timeout: job.timeout)
            handle = try await executor.start(request, output: output)
        } catch {
            await end(slot, id, .failed(exitCode: nil, reason: "could not start: \(error)"))
            triggerWaiters.removeValue(forKey: slot)?.resume(returning: .refused("could not start: \(error)"))
            return
        }
        do { try await store.recordStarted(id, handle: handle, at: clock.now()) } catch {
            // The run is going: keep following it, so its end is still recorded.
            logger.error("cannot record a run's start", metadata: metadata(slot, id, ["error": "\(error)"]))
        }
        let observation = Observation(slot: slot, id: id, handle: handle)
        following[id] = observation
        observationSink.yield(observation)
        logger.info("run started", metadata: metadata(slot, id, ["trigger": "\(trigger.rawValue)", "handle": "\(handle)"]))
        hooks.event(.started(slot, run: id, trigger: trigger, handle: handle))
        triggerWaiters.removeValue(forKey: slot)?.resume(returning: .started(id))
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
        let level: Logger.Level = outcome == .succeeded ? .info : .warning
        logger.log(level: level, "run ended", metadata: metadata(slot, id, ["outcome": "\(outcome)"]))
        hooks.event(.ended(slot, run: id, outcome: outcome))
        if following.isEmpty || !following.values.contains(where: { !survivesShutdown($0) }) {
            drainWaiter?.resume()
            drainWaiter = nil
        }
    }

    func record(_ id: RunID, _ slot: Slot, _ state: RunState) async {
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
