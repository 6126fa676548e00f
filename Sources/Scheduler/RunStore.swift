public import Foundation

/// The run ledger's role: every slot recorded once, no overlap under `forbid`, and every transition.
public protocol RunStore: Sendable {
    /// Records the intent to start a slot, before the executor is called.
    /// - Throws: `.slotAlreadyRecorded` if the slot is on record in any state; `.overlap` if
    ///   `policy` is `forbid` and a run of the job is not terminal.
    func recordIntent(_ slot: Slot, trigger: RunTrigger, policy: ConcurrencyPolicy) async throws(RunStoreError) -> RunID
    /// Records that the executor started the run, and how to find it again.
    func recordStarted(_ run: RunID, handle: RunHandle, at instant: Date) async throws(RunStoreError)
    /// Records how a non-terminal run ended (as ended, or as replaced).
    func recordEnd(_ run: RunID, _ state: RunState, at instant: Date) async throws(RunStoreError)
    /// Records a slot that came but was not started.
    func recordSkipped(_ slot: Slot, trigger: RunTrigger, reason: SkipReason) async throws(RunStoreError)
    /// Records a slot that was never started.
    func recordMissed(_ slot: Slot, reason: MissReason) async throws(RunStoreError)
    /// The runs that are not terminal: reconciled on start before any new slot fires.
    func nonTerminalRuns() async throws(RunStoreError) -> [RunRecord]
    /// The latest slot on record for each job, in any state.
    func latestSlots() async throws(RunStoreError) -> [String: Date]
    /// The latest run on record for a job.
    func lastRun(of job: String) async throws(RunStoreError) -> RunRecord?
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
