public import Foundation
public import Logging
public import RunModel
public import ServiceLifecycle
import Synchronization

/// The daemon's scheduling service: it drives `SchedulerState` with a wall clock, records every
/// decision in the run store, and starts, follows and cancels runs through the executors.
///
/// One loop sleeps until the earliest next slot and wakes only when a slot is due, on a reload, a
/// trigger, a run's end, or a shutdown.
public actor Scheduler: Service, CustomStringConvertible {
    struct Observation: Sendable {
        var slot: Slot
        var id: RunID
        var handle: RunHandle
    }

    /// Work the loop hands to the scheduler's task group, so that it does not wait for it.
    enum Work: Sendable {
        /// Follow a started or adopted run to its end.
        case follow(Observation)
        /// Start one wake-up's herd (see ``start(_:)``).
        case herd(Herd)
    }

    var state: SchedulerState
    private var configuredJobs: [ScheduledJob]
    private var isLoaded = false
    let clock: any WallClock
    let store: any RunStore
    let executors: [ExecutorKind: any Executor]
    let output: any OutputSink
    let hooks: SchedulerHooks
    let logger: Logger
    let wake = WakeSignal()
    private let stopping = Atomic<Bool>(false)
    /// The runs being followed, by id.
    var following: [RunID: Observation] = [:]
    private var lastTick: Date?
    private var settleWaiters: [(target: Date, continuation: CheckedContinuation<Void, Never>)] = []
    var triggerWaiters: [Slot: CheckedContinuation<TriggerResult, Never>] = [:]
    var drainWaiter: CheckedContinuation<Void, Never>?
    private let work: AsyncStream<Work>
    let workSink: AsyncStream<Work>.Continuation
    /// The herds whose starts are in flight, by id, with the instant of the wake-up that made each.
    var herdsInFlight: [Int: Date] = [:]
    private var nextHerdID = 0
    /// Per job, the latches of the latest herd with a slot of it: the next herd's start calls of that
    /// job wait for that herd's calls of it (a catch-up's slots start in order), and a slot that
    /// replaces waits for that whole herd (the replaced run is known).
    var jobStartTails: [String: JobStartTail] = [:]
    var herdDrainWaiter: CheckedContinuation<Void, Never>?

    /// - Parameters:
    ///   - executors: by kind; a job whose executor is missing fails when it fires, with that reason.
    ///   - shutdownGrace: how long a stop waits for runs that do not survive it (children) to end.
    public init(
        jobs: [ScheduledJob], clock: any WallClock, store: any RunStore, executors: [ExecutorKind: any Executor],
        output: any OutputSink, limits: SchedulerLimits = SchedulerLimits(), hooks: SchedulerHooks = SchedulerHooks(),
        logger: Logger
    ) {
        self.state = SchedulerState(limits: limits)
        self.configuredJobs = jobs
        self.clock = clock
        self.store = store
        self.executors = executors
        self.output = output
        self.hooks = hooks
        self.logger = logger
        (work, workSink) = AsyncStream.makeStream()
    }

    /// Reconciles the run store, loads the jobs, then schedules until a graceful shutdown or cancellation.
    /// - Throws: `RunStoreError` if the run store cannot be read at start-up.
    public func run() async throws {
        try await reconcileAndLoad()
        hooks.ready()
        await withDiscardingTaskGroup { group in
            group.addTask { await self.loop() }
            for await item in work {
                switch item {
                case .follow(let observation): group.addTask { await self.follow(observation) }
                case .herd(let herd): group.addTask { await self.start(herd) }
                }
            }
            group.cancelAll()
        }
    }

    /// Asks for a run of `job` now, under its concurrency policy; returns what became of it.
    public func trigger(_ job: String) async -> TriggerResult {
        guard let slot = state.trigger(job, now: clock.now()) else { return .unknownJob(job) }
        wake.signal()
        return await withCheckedContinuation { triggerWaiters[slot] = $0 }
    }

    /// Replaces the jobs (a reload): unchanged jobs keep their timelines, running runs keep running.
    public func reload(_ jobs: [ScheduledJob]) -> ReloadDiff {
        guard isLoaded else {
            configuredJobs = jobs
            return ReloadDiff()
        }
        let diff = state.reload(jobs, now: clock.now())
        for (slot, waiter) in triggerWaiters where state.job(named: slot.job) == nil {
            triggerWaiters[slot] = nil
            waiter.resume(returning: .unknownJob(slot.job))
        }
        wake.signal()
        logger.debug(
            "schedules reloaded", metadata: ["added": "\(diff.added)", "removed": "\(diff.removed)", "changed": "\(diff.changed)"])
        hooks.event(.reloaded(diff))
        return diff
    }

    /// Every job with its next fire time, its active runs and its last run on record.
    public func status() async -> [JobStatus] {
        var result: [JobStatus] = []
        for (name, job) in state.jobs.sorted(by: { $0.key < $1.key }) {
            var lastRun: RunRecord?
            do { lastRun = try await store.lastRun(of: name) } catch {
                logger.warning("cannot read the last run", metadata: ["CRON_JOB": "\(name)", "error": "\(error)"])
            }
            result.append(
                JobStatus(
                    name: name, schedule: job.schedule.description, zone: job.zone.identifier,
                    nextFireDate: state.nextSlot(of: name), isSuspended: job.isSuspended, concurrency: job.concurrency,
                    executor: job.executor, activeRuns: state.activeRuns(of: name).compactMap { $0 }, lastRun: lastRun))
        }
        return result
    }

    /// Jobs loaded, runs active and the job that fires next (suspended jobs left out): the daemon's
    /// one-line `STATUS=`. Unlike ``status()`` it reads nothing from the run store.
    public func summary() -> (jobs: Int, activeRuns: Int, next: (job: String, at: Date)?) {
        var next: (job: String, at: Date)?
        for (name, job) in state.jobs where !job.isSuspended {
            guard let at = state.nextSlot(of: name) else { continue }
            if next.map({ at < $0.at || (at == $0.at && name < $0.job) }) ?? true { next = (name, at) }
        }
        return (state.jobs.count, state.activeCount, next)
    }

    /// The instant the loop wakes at next for a slot or a queued start, if any.
    public func nextWake() -> Date? { state.nextWake }

    /// Returns once the loop has handled everything due at the clock's current time, the start calls
    /// of its herds included (tests advance a manual clock, then settle).
    public func settle() async {
        let target = clock.now()
        if isSettled(at: target) { return }
        wake.signal()
        await withCheckedContinuation { settleWaiters.append((target, $0)) }
    }

    private func isSettled(at target: Date) -> Bool {
        guard let lastTick, lastTick >= target else { return false }
        return !herdsInFlight.values.contains { $0 <= target }
    }

    /// Resumes the ``settle()`` calls whose instant is handled, herds included.
    func resumeSettled() {
        let settled = settleWaiters.filter { isSettled(at: $0.target) }
        settleWaiters.removeAll { isSettled(at: $0.target) }
        for waiter in settled { waiter.continuation.resume() }
    }

    /// A short name: ServiceLifecycle describes each service, and the default reflection would print
    /// every job (10,000 jobs took most of a second to print).
    public nonisolated var description: String { "Scheduler" }

    /// Asks the loop to stop (as a graceful shutdown does).
    public nonisolated func stop() {
        stopping.store(true, ordering: .relaxed)
        wake.signal()
    }

    // MARK: - The loop

    private func reconcileAndLoad() async throws(RunStoreError) {
        let byName = Dictionary(configuredJobs.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for run in try await store.nonTerminalRuns() {
            let job = byName[run.slot.job]
            guard let kind = run.handle?.executor ?? job?.executor, let executor = executors[kind] else {
                await recordLost(run, reason: "no executor can re-attach it")
                continue
            }
            switch await executor.reattach(run, job: job, output: output) {
            case .running(let handle):
                if run.state == .intended {
                    // The daemon died after the executor started the run but before its start was
                    // recorded: record it now, or its end could never be (intended cannot succeed).
                    do { try await store.recordStarted(run.id, handle: handle, at: clock.now()) } catch {
                        logger.error("cannot record an adopted run's start", metadata: metadata(run.slot, run.id, ["error": "\(error)"]))
                    }
                }
                state.adopt(run.slot, id: run.id)
                let observation = Observation(slot: run.slot, id: run.id, handle: handle)
                following[run.id] = observation
                workSink.yield(.follow(observation))
                logger.debug("run adopted", metadata: metadata(run.slot, run.id, ["handle": "\(handle)"]))
                hooks.event(.adopted(run.slot, run: run.id, handle: handle))
            case .ended(let outcome):
                await record(run.id, run.slot, .ended(outcome))
            case .lost(let reason):
                await recordLost(run, reason: reason)
            }
        }
        let latest = try await store.latestSlots(of: configuredJobs.map(\.name))
        state.load(configuredJobs, latestSlots: latest, now: clock.now())
        configuredJobs = []  // the core holds them now
        isLoaded = true
        let released = MallocTuning.releaseFreePages()
        logger.debug("jobs loaded", metadata: ["jobs": "\(state.timelines.count)", "heap_trimmed": "\(released)"])
    }

    /// A run no executor could find again: recorded as failed, and told as a run event of its own.
    private func recordLost(_ run: RunRecord, reason: String) async {
        await record(run.id, run.slot, .ended(.failed(exitCode: nil, reason: "lost: \(reason)")))
        logger.debug("run lost", metadata: metadata(run.slot, run.id, ["reason": "\(reason)"]))
        hooks.event(.lost(run.slot, run: run.id, reason: reason))
    }

    private func loop() async {
        await withGracefulShutdownHandler {
            while !stopping.load(ordering: .relaxed), !Task.isCancelled {
                let now = clock.now()
                await perform(state.tick(now: now), at: now)
                lastTick = now
                resumeSettled()
                hooks.heartbeat?.beat()
                var deadline = state.nextWake
                if let interval = hooks.heartbeat?.interval {
                    let beat = now.addingTimeInterval(interval.timeInterval)
                    deadline = min(deadline ?? beat, beat)
                }
                await waitForWake(until: deadline)
            }
        } onGracefulShutdown: {
            self.stop()
        }
        // The herds' start calls go on to their end (as a start the loop awaited did): their runs are
        // then followed, or stopped below if they do not survive the daemon.
        if !herdsInFlight.isEmpty { await withCheckedContinuation { herdDrainWaiter = $0 } }
        await stopRunsThatDoNotSurvive()
        for waiter in settleWaiters { waiter.continuation.resume() }
        settleWaiters = []
        for (_, waiter) in triggerWaiters { waiter.resume(returning: .refused("the daemon is stopping")) }
        triggerWaiters = [:]
        workSink.finish()
    }

    private func waitForWake(until deadline: Date?) async {
        let clock = self.clock, wake = self.wake, logger = self.logger
        // Without a slot ahead, wake once a day anyway; nothing depends on it.
        let deadline = deadline ?? clock.now().addingTimeInterval(86_400)
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                do { try await clock.sleep(until: deadline) } catch {
                    // Cancelled because the wake signal came first: that is the normal way out.
                    logger.trace("clock sleep ended early", metadata: ["reason": "\(error)"])
                }
            }
            group.addTask { await wake.wait() }
            await group.next()
            group.cancelAll()
        }
    }

    private func perform(_ actions: [SchedulerAction], at now: Date) async {
        // The starts of one wake-up go first, as one herd: their intents in one durable write, their
        // executors' start calls concurrently, in a task of the scheduler's group, so that the next
        // second's herd does not wait for this one's creates (the start cap is the only throttle).
        // Skips and misses are recorded after them, by the loop: they delay no run.
        let planned = actions.compactMap { action -> PlannedStart? in
            guard case .start(let slot, let trigger, let replacing) = action else { return nil }
            return PlannedStart(slot: slot, trigger: trigger, replacing: replacing)
        }
        if !planned.isEmpty {
            nextHerdID += 1
            let done = Latch<Void>()
            var after: [String: JobStartTail] = [:], callsDone: [String: Latch<Void>] = [:]
            for job in Set(planned.map(\.slot.job)) {
                after[job] = jobStartTails[job]
                let calls = Latch<Void>()
                callsDone[job] = calls
                jobStartTails[job] = JobStartTail(calls: calls, herd: done)
            }
            herdsInFlight[nextHerdID] = now
            workSink.yield(.herd(Herd(id: nextHerdID, starts: planned, after: after, callsDone: callsDone, done: done)))
        }
        for action in actions {
            switch action {
            case .start:
                continue
            case .skip(let slot, let trigger, let reason):
                // A slot of a job a reload removed meanwhile: its row is terminal, so the policy it is
                // recorded under guards nothing; the schedule files' default says so.
                let policy = state.job(named: slot.job)?.concurrency ?? JobDefaults.concurrency
                do { try await store.recordSkipped(slot, trigger: trigger, reason: reason, policy: policy) } catch {
                    logger.error("cannot record a skipped slot", metadata: metadata(slot, nil, ["error": "\(error)"]))
                }
                logger.debug("slot skipped", metadata: metadata(slot, nil, ["reason": "\(reason)"]))
                hooks.event(.skipped(slot, trigger: trigger, reason: reason))
                triggerWaiters.removeValue(forKey: slot)?.resume(returning: .skipped(reason))
            case .miss(let slot, let reason):
                let policy = state.job(named: slot.job)?.concurrency ?? JobDefaults.concurrency
                do { try await store.recordMissed(slot, reason: reason, policy: policy) } catch {
                    logger.error("cannot record a missed slot", metadata: metadata(slot, nil, ["error": "\(error)"]))
                }
                logger.debug("slot missed", metadata: metadata(slot, nil, ["reason": "\(reason)"]))
                hooks.event(.missed(slot, reason: reason))
            case .missedUnrecorded(let job, let count, let atLeast):
                logger.warning(
                    "\(atLeast ? "more than " : "")\(count) older slots were missed and are not recorded one by one",
                    metadata: ["CRON_JOB": "\(job)"])
            }
        }
    }
}
