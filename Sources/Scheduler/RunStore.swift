public import Foundation
public import RunModel

/// The run ledger's role: every slot recorded once, no overlap under `forbid`, and every transition.
public protocol RunStore: Sendable {
    /// Records the intent to start a slot, before the executor is called.
    /// - Throws: `.slotAlreadyRecorded` if the slot is on record in any state; `.overlap` if
    ///   `policy` is `forbid` and a run of the job is not terminal.
    func recordIntent(_ slot: Slot, trigger: Trigger, policy: ConcurrencyPolicy) async throws(RunStoreError) -> RunID
    /// Records that the executor started the run, and how to find it again.
    func recordStarted(_ run: RunID, handle: RunHandle, at instant: Date) async throws(RunStoreError)
    /// Records the intents of a herd of slots due at one wake-up, together (one durable write), each
    /// with the guarantees of `recordIntent`. A refused slot's error is its own result; the other
    /// slots are still recorded.
    /// - Returns: one result per intent, in order.
    func recordIntents(_ intents: [RunIntent]) async -> [Result<RunID, RunStoreError>]
    /// Records several runs' starts together, as `recordStarted` does each.
    /// - Returns: one result per start, in order.
    func recordStarts(_ starts: [RunStart]) async -> [Result<Void, RunStoreError>]
    /// Records how a non-terminal run ended (as ended, or as replaced).
    func recordEnd(_ run: RunID, _ state: RunStatus, at instant: Date) async throws(RunStoreError)
    /// Records a slot that came but was not started, under the job's policy.
    func recordSkipped(_ slot: Slot, trigger: Trigger, reason: SkipReason, policy: ConcurrencyPolicy) async throws(RunStoreError)
    /// Records a slot that was never started, under the job's policy.
    func recordMissed(_ slot: Slot, reason: MissReason, policy: ConcurrencyPolicy) async throws(RunStoreError)
    /// The runs that are not terminal: reconciled on start before any new slot fires.
    func nonTerminalRuns() async throws(RunStoreError) -> [RunRecord]
    /// The latest slot on record, in any state, of each of these jobs that has one.
    func latestSlots(of jobs: [String]) async throws(RunStoreError) -> [String: Date]
    /// The latest run on record for a job.
    func lastRun(of job: String) async throws(RunStoreError) -> RunRecord?
}

/// One slot's intent in a batch (`RunStore.recordIntents`).
public struct RunIntent: Hashable, Sendable {
    public var slot: Slot
    public var trigger: Trigger
    public var policy: ConcurrencyPolicy
    public init(slot: Slot, trigger: Trigger, policy: ConcurrencyPolicy) {
        self.slot = slot
        self.trigger = trigger
        self.policy = policy
    }
}

/// One run's start in a batch (`RunStore.recordStarts`).
public struct RunStart: Hashable, Sendable {
    public var run: RunID
    public var handle: RunHandle
    /// When the executor's start call returned.
    public var instant: Date
    public init(run: RunID, handle: RunHandle, at instant: Date) {
        self.run = run
        self.handle = handle
        self.instant = instant
    }
}

extension RunStore {
    /// One `recordIntent` after another: for stores that have no cheaper way.
    public func recordIntents(_ intents: [RunIntent]) async -> [Result<RunID, RunStoreError>] {
        var results: [Result<RunID, RunStoreError>] = []
        for intent in intents {
            do throws(RunStoreError) {
                results.append(.success(try await recordIntent(intent.slot, trigger: intent.trigger, policy: intent.policy)))
            } catch { results.append(.failure(error)) }
        }
        return results
    }

    /// One `recordStarted` after another: for stores that have no cheaper way.
    public func recordStarts(_ starts: [RunStart]) async -> [Result<Void, RunStoreError>] {
        var results: [Result<Void, RunStoreError>] = []
        for start in starts {
            do throws(RunStoreError) {
                results.append(.success(try await recordStarted(start.run, handle: start.handle, at: start.instant)))
            } catch { results.append(.failure(error)) }
        }
        return results
    }
}

/// Why the run store refused or failed.
public enum RunStoreError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The slot is already on record (once per slot).
    case slotAlreadyRecorded(Slot, existing: RunID?)
    /// A run of the job is active and the policy is `forbid` (no overlap).
    case overlap(Slot, blocking: RunID?)
    /// The run is not on record, or cannot make that transition.
    case invalidTransition(RunID, from: String, to: String)
    /// The storage itself failed; the text is the store's own.
    case storage(String)

    public var description: String {
        switch self {
        case .slotAlreadyRecorded(let slot, let id): "slot \(slot) is already on record" + (id.map { " as run \($0)" } ?? "")
        case .overlap(let slot, let id): "slot \(slot) would overlap " + (id.map { "run \($0)" } ?? "an active run")
        case .invalidTransition(let id, let from, let to): "run \(id) cannot go from \(from) to \(to)"
        case .storage(let text): text
        }
    }
}
