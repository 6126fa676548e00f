import Foundation
import GRDB
import Ledger
import RunModel
import Synchronization
import Testing

/// Once per slot and no overlap, hammered from concurrent tasks, and shown to live in the schema.
@Suite struct GuaranteeTests {
    /// Outcome of one attempt, for counting.
    enum Attempt: Sendable {
        case recorded(Run)
        case refused(LedgerError)
    }

    static func attempt(_ body: @Sendable @escaping () throws(LedgerError) -> Run, times: Int) async -> [Attempt] {
        await withTaskGroup(of: Attempt.self) { group in
            for _ in 0..<times {
                group.addTask {
                    do throws(LedgerError) { return .recorded(try body()) } catch { return .refused(error) }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
    }

    @Test func aSlotIsRecordedOnceUnderEveryPolicy() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let ledger = try RunLedger.open(stateDirectory: directory)
        for (round, policy) in zip(0..., [ConcurrencyPolicy.forbid, .allow, .replace, .forbid, .allow, .replace]) {
            let slot = Slot(job: "sync-users", scheduledAt: minute(round))
            let attempts = await Self.attempt(
                { () throws(LedgerError) -> Run in
                    try ledger.recordIntent(for: slot, policy: policy, trigger: .manual, at: minute(round))
                }, times: 16)
            let winners = attempts.compactMap { if case .recorded(let run) = $0 { run } else { nil } }
            try #require(winners.count == 1, "round \(round): \(winners.count) intents recorded for one slot")
            for case .refused(let error) in attempts {
                #expect(error == .slotAlreadyRecorded(slot, existing: winners[0].id))
            }
            try ledger.record(.cancelled(reason: "next round"), for: winners[0].id, at: minute(round))
        }
    }

    @Test func aForbiddingJobHasOneActiveRun() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let ledger = try RunLedger.open(stateDirectory: directory)
        for round in 0..<10 {
            let counter = Counter()
            let attempts = await Self.attempt(
                { () throws(LedgerError) -> Run in
                    let slot = Slot(job: "nightly-report", scheduledAt: minute(round * 100 + counter.next()))
                    return try ledger.recordIntent(for: slot, policy: .forbid, at: minute(round * 100))
                }, times: 16)
            let winners = attempts.compactMap { if case .recorded(let run) = $0 { run } else { nil } }
            try #require(winners.count == 1, "round \(round): \(winners.count) active runs of one job")
            for case .refused(let error) in attempts {
                #expect(error == .jobHasActiveRun(job: "nightly-report", blocking: winners[0].id))
            }
            #expect(try ledger.activeRuns() == [winners[0]])
            // Move the winner along while others keep trying: it stays the only active run until it ends.
            try ledger.record(
                .started(RunHandle(executor: .kubernetes, reference: "nightly-report-\(round)", uid: "u\(round)")), for: winners[0].id,
                at: minute(round * 100))
            try ledger.record(
                round.isMultiple(of: 2) ? .succeeded : .failed(exitCode: 1, reason: "x"),
                for: winners[0].id, at: minute(round * 100 + 50))
        }
        #expect(try ledger.activeRuns().isEmpty)
        #expect(try ledger.history(job: "nightly-report", limit: 100).count == 10)
    }

    @Test func allowLetsRunsOverlapAndForbidThenWaitsForAllOfThem() async throws {
        try withStateDirectory { directory in
            let ledger = try RunLedger.open(stateDirectory: directory)
            let first = try ledger.recordIntent(for: Slot(job: "warm", scheduledAt: minute(0)), policy: .allow, at: t0)
            let second = try ledger.recordIntent(for: Slot(job: "warm", scheduledAt: minute(1)), policy: .allow, at: t0)
            #expect(try ledger.activeRuns().map(\.id) == [first.id, second.id])
            // The job's file now says forbid: it must not overlap runs recorded under the old policy.
            #expect(throws: LedgerError.jobHasActiveRun(job: "warm", blocking: first.id)) {
                try ledger.recordIntent(for: Slot(job: "warm", scheduledAt: minute(2)), policy: .forbid, at: t0)
            }
        }
    }

    /// The guarantees hold for anyone writing the file, not only for `RunLedger`'s code.
    @Test func theSchemaItselfRefusesDuplicatesAndOverlap() throws {
        try withStateDirectory { directory in
            do { _ = try RunLedger.open(stateDirectory: directory) }
            let queue = try DatabaseQueue(path: directory + "/ledger.sqlite")
            func insert(_ job: String, at ms: Int, policy: String, state: String) throws {
                try queue.write { db in
                    try db.execute(
                        sql: """
                            INSERT INTO run (job, scheduled_at, trigger, policy, state, recorded_at)
                            VALUES (?, ?, 'scheduled', ?, ?, 0)
                            """, arguments: [job, ms, policy, state])
                }
            }
            func isUniqueViolation(_ body: () throws -> Void) -> Bool {
                do { try body() } catch let error as DatabaseError {
                    return error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE
                } catch { return false }
                return false
            }
            try insert("a", at: 1, policy: "forbid", state: "running")
            #expect(isUniqueViolation { try insert("a", at: 1, policy: "allow", state: "succeeded") }, "same slot")
            #expect(
                isUniqueViolation { try insert("a", at: 2, policy: "forbid", state: "intended") },
                "two active under forbid")
            try insert("a", at: 3, policy: "forbid", state: "skipped")  // a terminal row is no overlap
            try insert("a", at: 4, policy: "allow", state: "running")  // allow is outside the index
            try insert("b", at: 2, policy: "forbid", state: "started")  // another job
            #expect(throws: DatabaseError.self) { try insert("c", at: 1, policy: "forbid", state: "sleeping") }
        }
    }

    @Test func jobNamesAreValidated() throws {
        try withStateDirectory { directory in
            let ledger = try RunLedger.open(stateDirectory: directory)
            for name in ["", "Report", "9lives", "ends-", "under_score", String(repeating: "a", count: 64)] {
                #expect(throws: LedgerError.invalidJobName(name)) {
                    try ledger.recordIntent(for: Slot(job: name, scheduledAt: t0), policy: .forbid, at: t0)
                }
            }
            try ledger.recordIntent(
                for: Slot(job: String(repeating: "a", count: 63), scheduledAt: t0), policy: .forbid, at: t0)
        }
    }
}

/// A thread-safe counter, so that concurrent attempts use different slots.
final class Counter: Sendable {
    private let value = Mutex(0)
    func next() -> Int {
        value.withLock {
            $0 += 1
            return $0
        }
    }
}
