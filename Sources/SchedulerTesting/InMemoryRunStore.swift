public import Foundation
public import RunModel
public import Scheduler
import Synchronization

/// A run store in memory with the ledger's guarantees (once per slot, no overlap under `forbid`,
/// checked transitions), for tests. Tests await conditions on its records.
public final class InMemoryRunStore: RunStore {
    private struct Entry: Sendable {
        var record: RunRecord
        var policy: ConcurrencyPolicy?
    }
    private let entries = Observed<[Entry]>([])
    private let batches = Mutex<[[Slot]]>([])

    public init() {}

    /// The slots of every `recordIntent` (one each) and `recordIntents` call, in order: a herd
    /// recorded together is one batch.
    public var intentBatches: [[Slot]] { batches.withLock { $0 } }

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

    public func recordIntent(_ slot: Slot, trigger: Trigger, policy: ConcurrencyPolicy) async throws(RunStoreError) -> RunID {
        batches.withLock { $0.append([slot]) }
        return try insert(slot, trigger: trigger, state: .intended, policy: policy)
    }

    /// Records the herd atomically (one change of the records), each slot checked as `recordIntent` checks it.
    public func recordIntents(_ intents: [RunIntent]) async -> [Result<RunID, RunStoreError>] {
        batches.withLock { $0.append(intents.map(\.slot)) }
        return entries.updateIgnoringErrors { entries in
            intents.map { intent in
                Result { () throws(RunStoreError) -> RunID in
                    try Self.insert(intent.slot, trigger: intent.trigger, state: .intended, policy: intent.policy, into: &entries)
                }
            }
        }
    }

    /// Records the starts atomically, each checked as `recordStarted` checks it.
    public func recordStarts(_ starts: [RunStart]) async -> [Result<Void, RunStoreError>] {
        entries.updateIgnoringErrors { entries in
            starts.map { start in
                Result { () throws(RunStoreError) in
                    try Self.transition(start.run, to: .started, in: &entries) { record in
                        record.handle = start.handle
                        record.startedAt = start.instant
                    }
                }
            }
        }
    }

    public func recordStarted(_ run: RunID, handle: RunHandle, at instant: Date) async throws(RunStoreError) {
        try transition(run, to: .started) { record in
            record.handle = handle
            record.startedAt = instant
        }
    }

    public func recordEnd(_ run: RunID, _ state: RunStatus, at instant: Date) async throws(RunStoreError) {
        try transition(run, to: state) { $0.endedAt = instant }
    }

    public func recordSkipped(_ slot: Slot, trigger: Trigger, reason: SkipReason, policy: ConcurrencyPolicy) async throws(RunStoreError) {
        _ = try insert(slot, trigger: trigger, state: .skipped(reason), policy: nil)
    }

    public func recordMissed(_ slot: Slot, reason: MissReason, policy: ConcurrencyPolicy) async throws(RunStoreError) {
        _ = try insert(slot, trigger: .catchUp, state: .missed(reason), policy: nil)
    }

    public func nonTerminalRuns() async throws(RunStoreError) -> [RunRecord] {
        records.filter { !$0.state.isTerminal }
    }

    public func latestSlots(of jobs: [String]) async throws(RunStoreError) -> [String: Date] {
        let wanted = Set(jobs)
        return records.filter { wanted.contains($0.slot.job) }.reduce(into: [:]) { latest, record in
            latest[record.slot.job] = max(latest[record.slot.job] ?? .distantPast, record.slot.scheduledAt)
        }
    }

    public func lastRun(of job: String) async throws(RunStoreError) -> RunRecord? {
        records(of: job).last
    }

    private func insert(_ slot: Slot, trigger: Trigger, state: RunStatus, policy: ConcurrencyPolicy?) throws(RunStoreError) -> RunID {
        do {
            return try entries.update { (entries: inout [Entry]) throws(RunStoreErrorBox) -> RunID in
                do throws(RunStoreError) { return try Self.insert(slot, trigger: trigger, state: state, policy: policy, into: &entries) } catch {
                    throw RunStoreErrorBox(error: error)
                }
            }
        } catch { throw error.error }
    }

    private static func insert(
        _ slot: Slot, trigger: Trigger, state: RunStatus, policy: ConcurrencyPolicy?, into entries: inout [Entry]
    ) throws(RunStoreError) -> RunID {
        if let existing = entries.first(where: { $0.record.slot == slot }) {
            throw .slotAlreadyRecorded(slot, existing: existing.record.id)
        }
        if policy == .forbid, let active = entries.first(where: { $0.record.slot.job == slot.job && !$0.record.state.isTerminal }) {
            throw .overlap(slot, blocking: active.record.id)
        }
        let id = RunID(rawValue: Int64(entries.count + 1))
        entries.append(Entry(record: RunRecord(id: id, slot: slot, trigger: trigger, state: state), policy: policy))
        return id
    }

    private func transition(_ run: RunID, to state: RunStatus, _ change: @escaping (inout RunRecord) -> Void) throws(RunStoreError) {
        do {
            try entries.update { (entries: inout [Entry]) throws(RunStoreErrorBox) in
                do throws(RunStoreError) { try Self.transition(run, to: state, in: &entries, change) } catch {
                    throw RunStoreErrorBox(error: error)
                }
            }
        } catch { throw error.error }
    }

    private static func transition(
        _ run: RunID, to state: RunStatus, in entries: inout [Entry], _ change: (inout RunRecord) -> Void
    ) throws(RunStoreError) {
        guard let index = entries.firstIndex(where: { $0.record.id == run }) else {
            throw .invalidTransition(run, from: "nothing", to: "\(state)")
        }
        let from = entries[index].record.state
        let allowed: Bool =
            switch (from, state) {
            case (.intended, .started), (.intended, .ended), (.started, .ended), (.intended, .replaced), (.started, .replaced): true
            default: false
            }
        guard allowed else { throw .invalidTransition(run, from: "\(from)", to: "\(state)") }
        entries[index].record.state = state
        change(&entries[index].record)
    }
}

extension Observed {
    @discardableResult
    func updateIgnoringErrors<T>(_ change: (inout Value) -> T) -> T {
        do { return try update { (value: inout Value) throws(RunStoreErrorBox) in change(&value) } } catch {
            preconditionFailure("a change that cannot throw threw \(error)")
        }
    }
}
