public import Foundation
public import Scheduler

/// A run store in memory with the ledger's guarantees (once per slot, no overlap under `forbid`,
/// checked transitions), for tests. Tests await conditions on its records.
public final class InMemoryRunStore: RunStore {
    private struct Entry: Sendable {
        var record: RunRecord
        var policy: ConcurrencyPolicy?
    }
    private let entries = Observed<[Entry]>([])

    public init() {}

    /// Every record, in the order the slots were recorded.
    public var records: [RunRecord] { entries.value.map(\.record) }

    /// The records of one job, oldest slot first.
    public func records(of job: String) -> [RunRecord] {
        records.filter { $0.slot.job == job }.sorted { $0.slot.scheduledAt < $1.slot.scheduledAt }
    }

    /// Returns the records once `condition` holds for them.
    @discardableResult
    public func wait(until condition: @escaping @Sendable ([RunRecord]) -> Bool) async -> [RunRecord] {
        await entries.wait { condition($0.map(\.record)) }.map(\.record)
    }

    /// Puts a record in place as a previous daemon would have left it (for restart scenarios).
    public func seed(_ record: RunRecord, policy: ConcurrencyPolicy = .forbid) {
        entries.updateIgnoringErrors { $0.append(Entry(record: record, policy: policy)) }
    }

    public func recordIntent(_ slot: Slot, trigger: RunTrigger, policy: ConcurrencyPolicy) async throws(RunStoreError) -> RunID {
        try insert(slot, trigger: trigger, state: .intended, policy: policy)
    }

    public func recordStarted(_ run: RunID, handle: RunHandle, at instant: Date) async throws(RunStoreError) {
        try transition(run, to: .started) { record in
            record.handle = handle
            record.startedAt = instant
        }
    }

    public func recordEnd(_ run: RunID, _ state: RunState, at instant: Date) async throws(RunStoreError) {
        try transition(run, to: state) { $0.endedAt = instant }
    }

    public func recordSkipped(_ slot: Slot, trigger: RunTrigger, reason: SkipReason) async throws(RunStoreError) {
        _ = try insert(slot, trigger: trigger, state: .skipped(reason), policy: nil)
    }

    public func recordMissed(_ slot: Slot, reason: MissReason) async throws(RunStoreError) {
        _ = try insert(slot, trigger: .catchUp, state: .missed(reason), policy: nil)
    }

    public func nonTerminalRuns() async throws(RunStoreError) -> [RunRecord] {
        records.filter { !$0.state.isTerminal }
    }

    public func latestSlots() async throws(RunStoreError) -> [String: Date] {
        records.reduce(into: [:]) { latest, record in
            latest[record.slot.job] = max(latest[record.slot.job] ?? .distantPast, record.slot.scheduledAt)
        }
    }

    public func lastRun(of job: String) async throws(RunStoreError) -> RunRecord? {
        records(of: job).last
    }

    private func insert(_ slot: Slot, trigger: RunTrigger, state: RunState, policy: ConcurrencyPolicy?) throws(RunStoreError) -> RunID {
        do {
            return try entries.update { (entries: inout [Entry]) throws(RunStoreErrorBox) -> RunID in
                if let existing = entries.first(where: { $0.record.slot == slot }) {
                    throw RunStoreErrorBox(error: .slotAlreadyRecorded(slot, existing: existing.record.id))
                }
                if policy == .forbid,
                    let active = entries.first(where: { $0.record.slot.job == slot.job && !$0.record.state.isTerminal })
                {
                    throw RunStoreErrorBox(error: .overlap(slot, blocking: active.record.id))
                }
                let id = RunID(rawValue: Int64(entries.count + 1))
                entries.append(Entry(record: RunRecord(id: id, slot: slot, trigger: trigger, state: state), policy: policy))
                return id
            }
        } catch { throw error.error }
    }

    private func transition(_ run: RunID, to state: RunState, _ change: @escaping (inout RunRecord) -> Void) throws(RunStoreError) {
        do {
            try entries.update { (entries: inout [Entry]) throws(RunStoreErrorBox) in
                guard let index = entries.firstIndex(where: { $0.record.id == run }) else {
                    throw RunStoreErrorBox(error: .invalidTransition(run, from: "nothing", to: "\(state)"))
                }
                let from = entries[index].record.state
                let allowed: Bool =
                    switch (from, state) {
                    case (.intended, .started), (.intended, .ended), (.started, .ended), (.intended, .replaced), (.started, .replaced): true
                    default: false
                    }
                guard allowed else { throw RunStoreErrorBox(error: .invalidTransition(run, from: "\(from)", to: "\(state)")) }
                entries[index].record.state = state
                change(&entries[index].record)
            }
        } catch { throw error.error }
    }
}

extension Observed {
    func updateIgnoringErrors(_ change: (inout Value) -> Void) {
        do { try update { (value: inout Value) throws(RunStoreErrorBox) in change(&value) } } catch {
            preconditionFailure("a change that cannot throw threw \(error)")
        }
    }
}
