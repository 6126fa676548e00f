import Foundation
import GRDB
import RunModel
import Synchronization
import Testing

@testable import Ledger

/// Retention: pruning deletes in small transactions, each committed on its own, so that the
/// writer is free between them.
@Suite struct PruneTests {
    /// Counts the rows of `run` deleted by each committed transaction, as SQLite reports them.
    final class DeletionsPerCommit: TransactionObserver, Sendable {
        private struct Counts {
            var pending = 0
            var committed: [Int] = []
        }
        private let counts = Mutex(Counts())

        var perCommit: [Int] { counts.withLock { $0.committed } }

        func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool {
            if case .delete(let table) = eventKind { return table == "run" }
            return false
        }
        func databaseDidChange(with event: DatabaseEvent) { counts.withLock { $0.pending += 1 } }
        func databaseDidCommit(_ db: Database) {
            counts.withLock {
                if $0.pending > 0 { $0.committed.append($0.pending) }
                $0.pending = 0
            }
        }
        func databaseDidRollback(_ db: Database) { counts.withLock { $0.pending = 0 } }
    }

    @Test func pruningCommitsOneSmallTransactionPerBatch() throws {
        try withStateDirectory { directory in
            let ledger = try RunLedger.open(stateDirectory: directory)
            for slot in 0..<25 { try makeRun(in: ledger, job: "old", slot: slot, reaching: .succeeded) }
            let stillRunning = try makeRun(in: ledger, job: "slow", slot: 3, reaching: .running)
            let recent = try makeRun(in: ledger, job: "old", slot: 100, reaching: .failed)
            let observer = DeletionsPerCommit()
            let writer = try #require(ledger.writer)
            writer.writeWithoutTransaction { $0.add(transactionObserver: observer) }

            #expect(try ledger.pruneBatch(olderThan: minute(50), batchSize: 4) == 4)
            // The writer is free between two batches: a recording commits in between.
            try makeRun(in: ledger, job: "new", slot: 1, reaching: .succeeded)
            #expect(try ledger.prune(olderThan: minute(50), batchSize: 4) == 22)  // 21 old ones and "new"
            // Seven transactions of at most four rows each, never one big DELETE.
            #expect(observer.perCommit == [4, 4, 4, 4, 4, 4, 2])
            #expect(try ledger.history(limit: 100).map(\.id) == [recent.id, stillRunning.id])
            #expect(try ledger.pruneBatch(olderThan: minute(50), batchSize: 4) == 0)
        }
    }
}
