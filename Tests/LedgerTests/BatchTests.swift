import Foundation
import Ledger
import RunModel
import Testing

/// A herd's intents and starts in one transaction each: every guarantee of a single recording holds
/// per slot, and a refusal is that slot's alone.
@Suite struct BatchTests {
    static func withLedger(_ body: (RunLedger) throws -> Void) throws {
        try withStateDirectory { directory in try body(try RunLedger.open(stateDirectory: directory)) }
    }

    @Test func aHerdsIntentsAreRecordedOnceEachInOrder() throws {
        try Self.withLedger { ledger in
            let herd = (0..<10).map { IntentRequest(slot: Slot(job: "job-\($0)", scheduledAt: minute(1)), policy: .forbid) }
            let results = try ledger.recordIntents(herd, at: minute(1))
            let runs = try results.map { try $0.get() }
            #expect(runs.map(\.slot) == herd.map(\.slot))
            #expect(runs.allSatisfy { $0.state == .intended && $0.recordedAt == minute(1) })
            #expect(Set(runs.map(\.id)).count == 10)
            #expect(try ledger.activeRuns().map(\.id) == runs.map(\.id))
        }
    }

    @Test func eachRefusalIsItsSlotsAloneAndTheRestIsRecorded() throws {
        try Self.withLedger { ledger in
            let recorded = try ledger.recordIntent(for: Slot(job: "sync", scheduledAt: minute(1)), policy: .allow, at: minute(1))
            let allowRun = try ledger.recordIntent(for: Slot(job: "mixed", scheduledAt: minute(0)), policy: .allow, at: minute(0))
            let herd = [
                IntentRequest(slot: Slot(job: "report", scheduledAt: minute(1)), policy: .forbid),
                // Overlaps the run recorded just before it in the same batch.
                IntentRequest(slot: Slot(job: "report", scheduledAt: minute(2)), policy: .forbid),
                // Already on record (once per slot), whatever the policy.
                IntentRequest(slot: Slot(job: "sync", scheduledAt: minute(1)), policy: .allow),
                IntentRequest(slot: Slot(job: "Not_A_Name", scheduledAt: minute(1)), policy: .allow),
                // A forbidding intent overlaps a run recorded under allow (checked outside the index).
                IntentRequest(slot: Slot(job: "mixed", scheduledAt: minute(1)), policy: .forbid),
                IntentRequest(slot: Slot(job: "warm", scheduledAt: minute(1)), policy: .replace, trigger: .manual),
            ]
            let results = try ledger.recordIntents(herd, at: minute(1))
            try #require(results.count == herd.count)
            let first = try results[0].get()
            #expect(results[1].failure == .jobHasActiveRun(job: "report", blocking: first.id))
            #expect(results[2].failure == .slotAlreadyRecorded(herd[2].slot, existing: recorded.id))
            #expect(results[3].failure == .invalidJobName("Not_A_Name"))
            #expect(results[4].failure == .jobHasActiveRun(job: "mixed", blocking: allowRun.id))
            let warm = try results[5].get()
            #expect(warm.trigger == .manual && warm.policy == .replace)
            #expect(Set(try ledger.activeRuns().map(\.id)) == [recorded.id, allowRun.id, first.id, warm.id])
            #expect(try ledger.history(job: "report", limit: 10).map(\.scheduledAt) == [minute(1)])
        }
    }

    @Test func concurrentBatchesOfTheSameSlotsRecordEachSlotOnce() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let ledger = try RunLedger.open(stateDirectory: directory)
        let herd = (0..<20).map { IntentRequest(slot: Slot(job: "job-\($0)", scheduledAt: minute(5)), policy: .allow) }
        let batches = await withTaskGroup(of: [Result<Run, LedgerError>].self) { group in
            for _ in 0..<8 {
                group.addTask {
                    do throws(LedgerError) { return try ledger.recordIntents(herd.shuffled(), at: minute(5)) } catch {
                        return [.failure(error)]
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        let winners = batches.flatMap { $0.compactMap { try? $0.get() } }
        #expect(winners.count == herd.count)
        #expect(Set(winners.map(\.slot)) == Set(herd.map(\.slot)))
        for failure in batches.flatMap({ $0.compactMap(\.failure) }) {
            guard case .slotAlreadyRecorded = failure else {
                Issue.record("a concurrent batch failed with \(failure), not a once-per-slot refusal")
                continue
            }
        }
    }

    @Test func startsAreRecordedTogetherAndAWrongTransitionIsThatRunsAlone() throws {
        try Self.withLedger { ledger in
            let runs = try ledger.recordIntents(
                (0..<3).map { IntentRequest(slot: Slot(job: "job-\($0)", scheduledAt: minute(1)), policy: .forbid) },
                at: minute(1)
            ).map { try $0.get() }
            try ledger.record(.cancelled(reason: "stopped before it started"), for: runs[1].id, at: minute(1))
            let results = try ledger.recordStarts([
                StartRecord(run: runs[0].id, handle: RunHandle(executor: .kubernetes, reference: "job-0-abc", uid: "u0"), startedAt: minute(1).addingTimeInterval(0.003)),
                StartRecord(run: runs[1].id, handle: RunHandle(executor: .kubernetes, reference: "job-1-abc", uid: "u1"), startedAt: minute(1)),
                StartRecord(run: RunID(rawValue: 999), handle: RunHandle(executor: .kubernetes, reference: "nothing", uid: "u9"), startedAt: minute(1)),
                StartRecord(run: runs[2].id, handle: RunHandle(executor: .kubernetes, reference: "job-2-abc", uid: "u2"), startedAt: minute(1).addingTimeInterval(0.004)),
            ])
            let started0 = try results[0].get()
            #expect(started0.state == .started)
            #expect(started0.handle == RunHandle(executor: .kubernetes, reference: "job-0-abc", uid: "u0"))
            #expect(started0.createdAt == minute(1).addingTimeInterval(0.003))
            #expect(results[1].failure == .transitionNotAllowed(runs[1].id, from: .cancelled, to: .started))
            #expect(results[2].failure == .noSuchRun(RunID(rawValue: 999)))
            #expect(try results[3].get().createdAt == minute(1).addingTimeInterval(0.004))
            // A second start of the same run is refused by the state machine.
            let again = try ledger.recordStarts([
                StartRecord(run: runs[0].id, handle: RunHandle(executor: .kubernetes, reference: "job-0-abc", uid: "u0"), startedAt: minute(2))
            ])
            #expect(again[0].failure == .transitionNotAllowed(runs[0].id, from: .started, to: .started))
        }
    }

    @Test func aReadOnlyLedgerRefusesTheWholeBatch() throws {
        try withStateDirectory { directory in
            let writer = try RunLedger.open(stateDirectory: directory)
            try writer.recordIntent(for: Slot(job: "report", scheduledAt: minute(0)), policy: .forbid, at: minute(0))
            let reader = try RunLedger.openForReading(stateDirectory: directory)
            #expect(throws: LedgerError.openedForReading) {
                try reader.recordIntents([IntentRequest(slot: Slot(job: "report", scheduledAt: minute(1)), policy: .allow)], at: minute(1))
            }
            #expect(throws: LedgerError.openedForReading) {
                try reader.recordStarts([StartRecord(run: RunID(rawValue: 1), handle: RunHandle(executor: .kubernetes, reference: "j", uid: "u"), startedAt: minute(1))])
            }
        }
    }
}

extension Result {
    /// The error, if the result is a failure.
    var failure: Failure? {
        if case .failure(let error) = self { error } else { nil }
    }
}
