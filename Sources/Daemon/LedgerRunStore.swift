public import Foundation
public import Ledger
public import Scheduler

/// The scheduler's run store over the SQLite run ledger: the ledger enforces once-per-slot and no
/// overlap; this maps one module's vocabulary onto the other's.
///
/// The ledger's `started` event carries a Kubernetes Job's name and uid. A `local` run keeps its
/// process identity (`pid=… start=…`) in the name and `local` in the uid, so a restarted daemon can
/// find the process again.
public final class LedgerRunStore: RunStore {
    private let ledger: RunLedger
    private let clock: any WallClock

    /// A store over `ledger`, stamping its records with `clock`.
    public init(ledger: RunLedger, clock: any WallClock) {
        self.ledger = ledger
        self.clock = clock
    }

    public func recordIntent(_ slot: SchedulerSlot, trigger: RunTrigger, policy: SchedulerConcurrencyPolicy) async throws(RunStoreError) -> SchedulerRunID {
        do {
            let run = try ledger.recordIntent(
                for: Ledger.Slot(slot), policy: Ledger.ConcurrencyPolicy(policy), trigger: Trigger(trigger), at: clock.now())
            return SchedulerRunID(run.id)
        } catch { throw RunStoreError(error, slot: slot) }
    }

    public func recordStarted(_ run: SchedulerRunID, handle: RunHandle, at instant: Date) async throws(RunStoreError) {
        do { try ledger.record(.started(kubernetesJob: handle.reference, uid: handle.executor.rawValue), for: Ledger.RunID(run), at: instant) } catch {
            throw RunStoreError(error, slot: nil)
        }
    }

    /// One ledger transaction (one fsync) for the herd; a refused slot fails alone.
    public func recordIntents(_ intents: [RunIntent]) async -> [Result<SchedulerRunID, RunStoreError>] {
        let requests = intents.map {
            IntentRequest(slot: Ledger.Slot($0.slot), policy: Ledger.ConcurrencyPolicy($0.policy), trigger: Trigger($0.trigger))
        }
        do {
            return zip(intents, try ledger.recordIntents(requests, at: clock.now())).map { intent, result in
                result.map { SchedulerRunID($0.id) }.mapError { RunStoreError($0, slot: intent.slot) }
            }
        } catch { return intents.map { .failure(RunStoreError(error, slot: $0.slot)) } }
    }

    /// One ledger transaction (one fsync) for the starts of a herd.
    public func recordStarts(_ starts: [RunStart]) async -> [Result<Void, RunStoreError>] {
        let records = starts.map {
            StartRecord(run: Ledger.RunID($0.run), kubernetesJob: $0.handle.reference, uid: $0.handle.executor.rawValue, startedAt: $0.instant)
        }
        do {
            return try ledger.recordStarts(records).map { $0.map { _ in () }.mapError { RunStoreError($0, slot: nil) } }
        } catch { return starts.map { _ in .failure(RunStoreError(error, slot: nil)) } }
    }

    public func recordEnd(_ run: SchedulerRunID, _ state: SchedulerRunState, at instant: Date) async throws(RunStoreError) {
        let event: Ledger.RunEvent
        switch state {
        case .ended(.succeeded): event = .succeeded
        case .ended(.failed(let exitCode, let reason)): event = .failed(exitCode: exitCode, reason: reason)
        case .ended(.cancelled(let reason)): event = .cancelled(reason: reason)
        case .replaced: event = .replaced(by: nil)
        default: throw .invalidTransition(run, from: "active", to: "\(state)")
        }
        do { try ledger.record(event, for: Ledger.RunID(run), at: instant) } catch { throw RunStoreError(error, slot: nil) }
    }

    public func recordSkipped(_ slot: SchedulerSlot, trigger: RunTrigger, reason: SkipReason, policy: SchedulerConcurrencyPolicy) async throws(RunStoreError) {
        let outcome: NeverRanOutcome
        switch reason {
        case .suspended:
            outcome = .suspended
        case .overlap(let blocking?):
            outcome = .skipped(blockedBy: Ledger.RunID(blocking))
        case .overlap(nil):
            // The blocking run was still being recorded when the slot came; the ledger knows it by now.
            do {
                guard let active = try ledger.activeRun(of: slot.job) else {
                    outcome = .missed(reason: "a run of the job was still starting")
                    break
                }
                outcome = .skipped(blockedBy: active.id)
            } catch { throw RunStoreError(error, slot: slot) }
        }
        do {
            try ledger.record(outcome, for: Ledger.Slot(slot), policy: Ledger.ConcurrencyPolicy(policy), trigger: Trigger(trigger), at: clock.now())
        } catch { throw RunStoreError(error, slot: slot) }
    }

    public func recordMissed(_ slot: SchedulerSlot, reason: MissReason, policy: SchedulerConcurrencyPolicy) async throws(RunStoreError) {
        do {
            try ledger.record(
                .missed(reason: reason.description), for: Ledger.Slot(slot), policy: Ledger.ConcurrencyPolicy(policy),
                trigger: .scheduled, at: clock.now())
        } catch { throw RunStoreError(error, slot: slot) }
    }

    public func nonTerminalRuns() async throws(RunStoreError) -> [RunRecord] {
        do { return try ledger.activeRuns().map(RunRecord.init) } catch { throw RunStoreError(error, slot: nil) }
    }

    public func latestSlots(of jobs: [String]) async throws(RunStoreError) -> [String: Date] {
        // One query for the newest runs of all jobs; a query per job only for jobs not among them,
        // and none when that query read the whole ledger (10,000 queries would slow start-up).
        // Somewhat arbitrarily 20,000 rows.
        let window = 20_000
        var latest: [String: Date] = [:]
        do {
            let recent = try ledger.history(job: nil, limit: window)
            for run in recent where latest[run.job] == nil { latest[run.job] = run.scheduledAt }
            guard recent.count == window else { return latest }
            for job in jobs where latest[job] == nil {
                if let run = try ledger.history(job: job, limit: 1).first { latest[job] = run.scheduledAt }
            }
        } catch { throw RunStoreError(error, slot: nil) }
        return latest
    }

    public func lastRun(of job: String) async throws(RunStoreError) -> RunRecord? {
        do { return try ledger.lastRun(of: job).map(RunRecord.init) } catch { throw RunStoreError(error, slot: nil) }
    }
}

extension RunStoreError {
    init(_ error: LedgerError, slot: SchedulerSlot?) {
        switch error {
        case .slotAlreadyRecorded(let recorded, let existing):
            self = .slotAlreadyRecorded(slot ?? SchedulerSlot(job: recorded.job, scheduledAt: recorded.scheduledAt), existing: SchedulerRunID(existing))
        case .jobHasActiveRun(let job, let blocking):
            self = .overlap(slot ?? SchedulerSlot(job: job, scheduledAt: .distantPast), blocking: SchedulerRunID(blocking))
        case .transitionNotAllowed(let run, let from, let to):
            self = .invalidTransition(SchedulerRunID(run), from: from.rawValue, to: to.rawValue)
        default:
            self = .storage(error.description)
        }
    }
}

extension Ledger.Slot {
    init(_ slot: SchedulerSlot) { self.init(job: slot.job, scheduledAt: slot.scheduledAt) }
}

extension Ledger.RunID {
    init(_ id: SchedulerRunID) { self.init(rawValue: id.rawValue) }
}

extension SchedulerRunID {
    init(_ id: Ledger.RunID) { self.init(rawValue: id.rawValue) }
}

extension Ledger.ConcurrencyPolicy {
    init(_ policy: SchedulerConcurrencyPolicy) {
        switch policy {
        case .forbid: self = .forbid
        case .allow: self = .allow
        case .replace: self = .replace
        }
    }
}

extension Trigger {
    /// The ledger tells only whether a person asked: catch-up and `@reboot` runs are the schedule's.
    init(_ trigger: RunTrigger) { self = trigger == .manual ? .manual : .scheduled }
}

extension RunRecord {
    /// The scheduler's view of a ledger run.
    public init(_ run: Run) {
        let state: SchedulerRunState =
            switch run.state {
            case .intended: .intended
            case .started, .running: .started
            case .succeeded: .ended(.succeeded)
            case .failed: .ended(.failed(exitCode: run.exitCode, reason: run.reason ?? "failed"))
            case .cancelled: .ended(.cancelled(reason: run.reason ?? "cancelled"))
            case .replaced: .replaced
            case .skipped: .skipped(.overlap(blocking: run.blockedBy.map(SchedulerRunID.init)))
            case .missed: .missed(.recorded(run.reason ?? "missed"))
            case .suspended: .skipped(.suspended)
            }
        let handle = run.kubernetesJob.map { job in
            RunHandle(executor: ExecutorKind(rawValue: job.uid == ExecutorKind.local.rawValue ? job.uid : "kubernetes"), reference: job.name)
        }
        self.init(
            id: SchedulerRunID(run.id), slot: SchedulerSlot(job: run.job, scheduledAt: run.scheduledAt),
            trigger: run.trigger == .manual ? .manual : .scheduled, state: state, handle: handle, startedAt: run.createdAt,
            endedAt: run.finishedAt)
    }
}
