import Foundation
import GRDB
import RunModel
import Testing

@testable import Ledger

/// Schema v4: each run names the host that started it and the host that finished it.
@Suite struct LedgerHostsTests {
    static let t0 = Date(timeIntervalSince1970: 1_798_761_600)  // 2027-01-01T00:00:00Z

    /// A fresh state directory under a temporary folder, removed after `body`.
    func withStateDirectory(_ body: (String) throws -> Void) throws {
        let parent = FileManager.default.temporaryDirectory.appendingPathComponent("ha-ledger-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: parent) }
        try body(parent.path + "/state")
    }

    func slot(_ minutes: Int) -> Slot { Slot(job: "tick", scheduledAt: Self.t0.addingTimeInterval(Double(minutes) * 60)) }
    func handle(_ name: String) -> RunHandle { RunHandle(executor: .kubernetes, reference: "ha/\(name)", uid: "uid-\(name)") }

    @Test func everyTransitionNamesItsHost() throws {
        try withStateDirectory { directory in
            let ledger = try RunLedger.open(stateDirectory: directory, host: "host-b")
            // Started and finished here.
            let own = try ledger.recordIntent(for: slot(0), policy: .forbid, at: Self.t0)
            #expect(try ledger.record(.started(handle("a")), for: own.id, at: Self.t0).startedBy == "host-b")
            let done = try ledger.record(.succeeded, for: own.id, at: Self.t0.addingTimeInterval(5))
            #expect(done.startedBy == "host-b" && done.finishedBy == "host-b")
            // Adopted: started by the host that made its Job, finished here.
            let adopted = try ledger.recordIntent(for: slot(1), policy: .forbid, at: Self.t0)
            #expect(try ledger.record(.started(handle("b")), for: adopted.id, at: Self.t0, by: "host-a").startedBy == "host-a")
            #expect(try ledger.record(.running(pod: "b-x", capacity: nil), for: adopted.id, at: Self.t0).finishedBy == nil)
            let ended = try ledger.record(.failed(exitCode: 2, reason: "exit 2"), for: adopted.id, at: Self.t0)
            #expect(ended.startedBy == "host-a" && ended.finishedBy == "host-b")
            // A slot that never ran was decided here.
            let skipped = try ledger.record(.skipped(blockedBy: adopted.id), for: slot(2), policy: .forbid, at: Self.t0)
            #expect(skipped.startedBy == nil && skipped.finishedBy == "host-b")
            // The herd's batch start, too.
            let herd = try ledger.recordIntents([IntentRequest(slot: slot(3), policy: .allow)], at: Self.t0)
            let id = try herd[0].get().id
            #expect(try ledger.recordStarts([StartRecord(run: id, handle: handle("c"), startedAt: Self.t0)])[0].get().startedBy == "host-b")

            // Read back, as `history` reads them.
            let read = try RunLedger.openForReading(stateDirectory: directory).history(job: "tick", limit: 10).reversed()
            #expect(read.map(\.startedBy) == ["host-b", "host-a", nil, "host-b"])
            #expect(read.map(\.finishedBy) == ["host-b", "host-b", "host-b", nil])
        }
    }

    @Test func aLedgerWithoutAHostRecordsNone() throws {
        try withStateDirectory { directory in
            let ledger = try RunLedger.open(stateDirectory: directory)
            let run = try ledger.recordIntent(for: slot(0), policy: .forbid, at: Self.t0)
            _ = try ledger.record(.started(handle("a")), for: run.id, at: Self.t0)
            let done = try ledger.record(.succeeded, for: run.id, at: Self.t0)
            #expect(done.startedBy == nil && done.finishedBy == nil)
        }
    }

    @Test func aVersion3FileIsReadAsItIsAndUpgradedInPlace() throws {
        try withStateDirectory { directory in
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let path = directory + "/" + RunLedger.databaseFileName
            // A v3 file, made by this code's own migrations up to v3, with one finished run in it.
            do {
                let queue = try DatabaseQueue(path: path)
                try RunLedger.migrator.migrate(queue, upTo: "v3: executor-neutral runs")
                try queue.write { db in
                    try db.execute(
                        sql: """
                            INSERT INTO run (job, scheduled_at, trigger, policy, state, recorded_at, created_at, finished_at,
                                             executor, handle, handle_uid, exit_code)
                            VALUES ('tick', ?, 'scheduled', 'forbid', 'succeeded', ?, ?, ?, 'kubernetes', 'ha/tick-1', 'uid-1', 0)
                            """,
                        arguments: [Self.t0.ledgerMilliseconds, Self.t0.ledgerMilliseconds, Self.t0.ledgerMilliseconds,
                                    Self.t0.ledgerMilliseconds + 5_000])
                }
                #expect(try queue.read { try Int.fetchOne($0, sql: "PRAGMA user_version") } == 3)
                try queue.close()
            }
            // A reader of this release reads it before any writer migrated it: no hosts.
            let before = try RunLedger.openForReading(stateDirectory: directory).history(limit: 10)
            #expect(before.count == 1 && before[0].startedBy == nil && before[0].finishedBy == nil && before[0].state == .succeeded)

            let ledger = try RunLedger.open(stateDirectory: directory, host: "host-a")
            #expect(try ledger.history(limit: 10) == before, "the run reads the same after the migration")
            let version = try DatabaseQueue(path: path, configuration: { var c = Configuration(); c.readonly = true; return c }())
            #expect(try version.read { try Int.fetchOne($0, sql: "PRAGMA user_version") } == RunLedger.supportedSchemaVersion)
            try version.close()
            let next = try ledger.recordIntent(for: slot(1), policy: .forbid, at: Self.t0)
            #expect(try ledger.record(.started(handle("tick-2")), for: next.id, at: Self.t0).startedBy == "host-a")
        }
    }
}
