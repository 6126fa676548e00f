public import Foundation
public import Ledger
public import RunModel
public import Scheduler

/// The scheduler's run store over the SQLite run ledger: the ledger enforces once-per-slot and no
/// overlap. Both speak the same vocabulary (`RunModel`): a run's trigger, policy and handle (its
/// executor and reference) are recorded as they are. Every call runs on the ledger's own thread.
public final class LedgerRunStore: RunStore {
    private let ledger: RunLedger
    private let clock: any WallClock
    private let thread: LedgerThread

    /// A store over `ledger`, stamping its records with `clock`.
    public convenience init(ledger: RunLedger, clock: any WallClock) {
        self.init(ledger: ledger, clock: clock, thread: LedgerThread())
    }

    init(ledger: RunLedger, clock: any WallClock, thread: LedgerThread) {
        self.ledger = ledger
        self.clock = clock
        self.thread = thread
    }

    public func recordIntent(_ slot: Slot, trigger: Trigger, policy: ConcurrencyPolicy) async throws(RunStoreError) -> RunID {
        let (ledger, now) = (self.ledger, clock.now())
        do { return try await thread.run { () throws(LedgerError) in try ledger.recordIntent(for: slot, policy: policy, trigger: trigger, at: now).id } } catch {
            throw RunStoreError(error, slot: slot)
        }
    }

    public func recordStarted(_ run: RunID, handle: RunHandle, at instant: Date) async throws(RunStoreError) {
        let ledger = self.ledger
        do { _ = try await thread.run { () throws(LedgerError) in try ledger.record(.started(handle), for: run, at: instant) } } catch {
            throw RunStoreError(error, slot: nil)
        }
    }

    /// One ledger transaction (one fsync) for the herd; a refused slot fails alone.
    public func recordIntents(_ intents: [RunIntent]) async -> [Result<RunID, RunStoreError>] {
        let (ledger, now) = (self.ledger, clock.now())
        let requests = intents.map { IntentRequest(slot: $0.slot, policy: $0.policy, trigger: $0.trigger) }
        do {
            let results = try await thread.run { () throws(LedgerError) in try ledger.recordIntents(requests, at: now) }
            return zip(intents, results).map { intent, result in
                result.map(\.id).mapError { RunStoreError($0, slot: intent.slot) }
            }
        } catch { return intents.map { .failure(RunStoreError(error, slot: $0.slot)) } }
    }

    /// One ledger transaction (one fsync) for the starts of a herd.
    public func recordStarts(_ starts: [RunStart]) async -> [Result<Void, RunStoreError>] {
        let ledger = self.ledger
        let records = starts.map { StartRecord(run: $0.run, handle: $0.handle, startedAt: $0.instant) }
        do {
            let results = try await thread.run { () throws(LedgerError) in try ledger.recordStarts(records) }
            return results.map { $0.map { _ in () }.mapError { RunStoreError($0, slot: nil) } }
        } catch { return starts.map { _ in .failure(RunStoreError(error, slot: nil)) } }
    }

    public func recordEnd(_ run: RunID, _ state: RunStatus, at instant: Date) async throws(RunStoreError) {
        let event: Ledger.RunEvent
        switch state {
        case .ended(.succeeded): event = .succeeded
        case .ended(.failed(let exitCode, let reason)): event = .failed(exitCode: exitCode, reason: reason)
        case .ended(.cancelled(let reason)): event = .cancelled(reason: reason)
        case .replaced: event = .replaced(by: nil)
        default: throw .invalidTransition(run, from: "active", to: "\(state)")
        }
        let ledger = self.ledger
        do { _ = try await thread.run { () throws(LedgerError) in try ledger.record(event, for: run, at: instant) } } catch {
            throw RunStoreError(error, slot: nil)
        }
    }

    public func recordSkipped(_ slot: Slot, trigger: Trigger, reason: SkipReason, policy: ConcurrencyPolicy) async throws(RunStoreError) {
        let (ledger, now) = (self.ledger, clock.now())
        do {
            _ = try await thread.run { () throws(LedgerError) in
                let outcome: NeverRanOutcome
                switch reason {
                case .suspended:
                    outcome = .suspended
                case .overlap(let blocking?):
                    outcome = .skipped(blockedBy: blocking)
                case .overlap(nil):
                    // The blocking run was still being recorded when the slot came; the ledger knows it by now.
                    if let active = try ledger.activeRun(of: slot.job) {
                        outcome = .skipped(blockedBy: active.id)
                    } else {
                        outcome = .missed(reason: "a run of the job was still starting")
                    }
                }
                return try ledger.record(outcome, for: slot, policy: policy, trigger: trigger, at: now)
            }
        } catch { throw RunStoreError(error, slot: slot) }
    }

    public func recordMissed(_ slot: Slot, reason: MissReason, policy: ConcurrencyPolicy) async throws(RunStoreError) {
        let (ledger, now) = (self.ledger, clock.now())
        do {
            _ = try await thread.run { () throws(LedgerError) in
                try ledger.record(.missed(reason: reason.description), for: slot, policy: policy, trigger: .scheduled, at: now)
            }
        } catch { throw RunStoreError(error, slot: slot) }
    }

    public func nonTerminalRuns() async throws(RunStoreError) -> [RunRecord] {
        let ledger = self.ledger
        do { return try await thread.run { () throws(LedgerError) in try ledger.activeRuns() }.map(RunRecord.init) } catch {
            throw RunStoreError(error, slot: nil)
        }
    }

    public func latestSlots(of jobs: [String]) async throws(RunStoreError) -> [String: Date] {
        let ledger = self.ledger
        do {
            return try await thread.run { () throws(LedgerError) in
                // One query for the newest runs of all jobs; a query per job only for jobs not among
                // them, and none when that query read the whole ledger (10,000 queries would slow
                // start-up). Somewhat arbitrarily 20,000 rows.
                let window = 20_000
                var latest: [String: Date] = [:]
                let recent = try ledger.history(job: nil, limit: window)
                for run in recent where latest[run.job] == nil { latest[run.job] = run.scheduledAt }
                guard recent.count == window else { return latest }
                for job in jobs where latest[job] == nil {
                    if let run = try ledger.history(job: job, limit: 1).first { latest[job] = run.scheduledAt }
                }
                return latest
            }
        } catch { throw RunStoreError(error, slot: nil) }
    }

    public func lastRun(of job: String) async throws(RunStoreError) -> RunRecord? {
        let ledger = self.ledger
        do { return try await thread.run { () throws(LedgerError) in try ledger.lastRun(of: job) }.map(RunRecord.init) } catch {
            throw RunStoreError(error, slot: nil)
        }
    }
}

extension RunStoreError {
    init(_ error: LedgerError, slot: Slot?) {
        switch error {
        case .slotAlreadyRecorded(let recorded, let existing):
            self = .slotAlreadyRecorded(slot ?? recorded, existing: existing)
        case .jobHasActiveRun(let job, let blocking):
            self = .overlap(slot ?? Slot(job: job, scheduledAt: .distantPast), blocking: blocking)
        case .transitionNotAllowed(let run, let from, let to):
            self = .invalidTransition(run, from: from.rawValue, to: to.rawValue)
        default:
            self = .storage(error.description)
        }
    }
}

extension RunRecord {
    /// The scheduler's view of a ledger run: its state with the outcome or reason the ledger kept.
    public init(_ run: Run) {
        let status: RunStatus =
            switch run.state {
            case .intended: .intended
            case .started, .running: .started
            case .succeeded: .ended(.succeeded)
            case .failed: .ended(.failed(exitCode: run.exitCode, reason: run.reason ?? "failed"))
            case .cancelled: .ended(.cancelled(reason: run.reason ?? "cancelled"))
            case .replaced: .replaced
            case .skipped: .skipped(.overlap(blocking: run.blockedBy))
            case .missed: .missed(.recorded(run.reason ?? "missed"))
            case .suspended: .skipped(.suspended)
            }
        self.init(
            id: run.id, slot: run.slot, trigger: run.trigger, state: status, handle: run.handle, startedAt: run.createdAt,
            endedAt: run.finishedAt,
            notice: run.placement == .notFargate ? "not on Fargate" + (run.placementNote.map { " (\($0))" } ?? "") : nil)
    }
}
