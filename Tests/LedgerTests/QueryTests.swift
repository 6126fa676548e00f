import Foundation
import Ledger
import RunModel
import Testing

/// History, the queries `status` needs, retention and reconciliation.
@Suite struct QueryTests {
    @Test func historyIsNewestFirstWithLimitSinceAndJob() throws {
        try withStateDirectory { directory in
            let ledger = try RunLedger.open(stateDirectory: directory)
            for slot in [3, 1, 2] { try makeRun(in: ledger, job: "report", slot: slot, reaching: .succeeded) }
            try makeRun(in: ledger, job: "sync-users", slot: 4, reaching: .running)
            try makeRun(in: ledger, job: "report", slot: 5, reaching: .suspended)
            func slots(_ runs: [Run]) -> [String] {
                runs.map { "\($0.job)@\(Int($0.scheduledAt.timeIntervalSince(t0) / 60))" }
            }
            #expect(slots(try ledger.history()) == ["report@5", "sync-users@4", "report@3", "report@2", "report@1"])
            #expect(slots(try ledger.history(job: "report", limit: 2)) == ["report@5", "report@3"])
            #expect(slots(try ledger.history(since: minute(3))) == ["report@5", "sync-users@4", "report@3"])
            #expect(slots(try ledger.history(job: "sync-users", since: minute(5))) == [])
            #expect(try ledger.history(job: "nobody").isEmpty)
            // Readers see the same.
            let reader = try RunLedger.openForReading(stateDirectory: directory)
            #expect(try reader.history() == ledger.history())
        }
    }

    @Test func activeAndLastRunForStatus() throws {
        try withStateDirectory { directory in
            let ledger = try RunLedger.open(stateDirectory: directory)
            #expect(try ledger.lastRun(of: "report") == nil)
            let failed = try makeRun(in: ledger, slot: 1, reaching: .failed)
            let skipped = try makeRun(in: ledger, slot: 2, reaching: .skipped)
            let running = try makeRun(in: ledger, slot: 3, reaching: .running)
            #expect(try ledger.lastRun(of: "report") == skipped)
            #expect(try ledger.activeRun(of: "report") == running)
            #expect(try ledger.activeRun(of: "other") == nil)
            #expect(failed.exitCode == 2 && failed.reason == "exit 2")
            #expect(skipped.blockedBy == RunID(rawValue: 1) && skipped.reason == "run 1 was still active")
        }
    }

    /// Every job's last end in a state, in one query, agrees with the per-job query.
    @Test func lastEndsOfEveryJobAgreeWithEachJobsLastRun() throws {
        try withStateDirectory { directory in
            let ledger = try RunLedger.open(stateDirectory: directory)
            #expect(try ledger.lastEnds(in: .succeeded).isEmpty)
            for slot in [1, 3, 2] { try makeRun(in: ledger, job: "report", slot: slot, reaching: .succeeded) }
            try makeRun(in: ledger, job: "report", slot: 4, reaching: .failed)
            try makeRun(in: ledger, job: "sync", slot: 5, reaching: .failed)
            try makeRun(in: ledger, job: "sync", slot: 6, reaching: .running)
            for state in [RunState.succeeded, .failed] {
                var expected: [String: Date] = [:]
                for job in ["report", "sync"] {
                    if let run = try ledger.lastRun(of: job, endedIn: state) { expected[job] = run.finishedAt ?? run.scheduledAt }
                }
                #expect(try ledger.lastEnds(in: state) == expected)
            }
            #expect(try ledger.lastEnds(in: .succeeded).keys.sorted() == ["report"])
            #expect(try ledger.lastEnds(in: .failed).keys.sorted() == ["report", "sync"])
        }
    }

    @Test func openingListsTheRunsToReconcile() throws {
        try withStateDirectory { directory in
            var expected: [Run] = []
            do {
                let ledger = try RunLedger.open(stateDirectory: directory)
                #expect(ledger.runsToReconcile.isEmpty)
                try makeRun(in: ledger, job: "a", slot: 0, reaching: .succeeded)
                expected.append(try makeRun(in: ledger, job: "a", slot: 1, reaching: .intended))
                expected.append(try makeRun(in: ledger, job: "b", slot: 1, reaching: .started))
                expected.append(try makeRun(in: ledger, job: "c", slot: 1, reaching: .running))
            }
            let reopened = try RunLedger.open(stateDirectory: directory)
            #expect(reopened.runsToReconcile == expected)
            #expect(try reopened.nonTerminalRuns() == expected)
        }
    }

    @Test func billedDurationIsKeptToTheMillisecond() throws {
        try withStateDirectory { directory in
            let ledger = try RunLedger.open(stateDirectory: directory)
            let run = try makeRun(in: ledger, slot: 1, reaching: .succeeded)
            try ledger.recordBilledDuration(.milliseconds(61_250), for: run.id)
            #expect(try ledger.run(run.id).billedDuration == .milliseconds(61_250))
            #expect(throws: LedgerError.noSuchRun(RunID(rawValue: 999))) {
                try ledger.recordBilledDuration(.seconds(1), for: RunID(rawValue: 999))
            }
        }
    }

    @Test func pruningRemovesOldFinishedRunsInBatchesAndKeepsActiveOnes() throws {
        try withStateDirectory { directory in
            let ledger = try RunLedger.open(stateDirectory: directory)
            for slot in 0..<25 {
                try makeRun(in: ledger, job: "old", slot: slot, reaching: slot % 2 == 0 ? .succeeded : .skipped)
            }
            let stillRunning = try makeRun(in: ledger, job: "slow", slot: 1, reaching: .running)
            try makeRun(in: ledger, job: "old", slot: 100, reaching: .succeeded)
            #expect(try ledger.prune(olderThan: minute(50), batchSize: 4) == 25)
            #expect(
                try ledger.history(limit: 100).map(\.id) == [try ledger.history(job: "old").first!.id, stillRunning.id])
            #expect(try ledger.prune(olderThan: minute(50), batchSize: 4) == 0)
            #expect(RunLedger.defaultRetention == .seconds(7_776_000))
        }
    }

    @Test func manualTriggersAreRecorded() throws {
        try withStateDirectory { directory in
            let ledger = try RunLedger.open(stateDirectory: directory)
            let asked = Date(timeIntervalSince1970: 1_798_761_600.123)
            let run = try ledger.recordIntent(
                for: Slot(job: "report", scheduledAt: asked), policy: .allow, trigger: .manual, at: asked)
            let stored = try ledger.run(run.id)
            #expect(stored.trigger == .manual && stored.policy == .allow && stored.state == .intended)
            #expect(stored.scheduledAt == asked && stored.recordedAt == asked)
        }
    }
}
