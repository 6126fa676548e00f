import Foundation
import GRDB
import Ledger
import RunModel
import Testing

/// A ledger written by the code of schema v2 (`Fixtures/v2/ledger.sqlite`, made by
/// `Fixtures/v2/make-v2-ledger.swift` against main at 3f4e1ed through that code's own RunLedger) is
/// carried over to v3 with every run and its history unchanged, and each run's executor and handle
/// in v3's executor-neutral columns.
@Suite struct Version2MigrationTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/v2/ledger.sqlite")

    /// A copy of the fixture as `directory/ledger.sqlite`.
    static func copyFixture(to directory: String) throws -> String {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/" + RunLedger.databaseFileName
        try FileManager.default.copyItem(atPath: fixture.path, toPath: path)
        return path
    }

    /// Every row of the `run` table, each column by name, as SQLite holds it.
    static func rows(of path: String) throws -> [[String: DatabaseValue]] {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        return try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM run ORDER BY id").map { row in
                Dictionary(uniqueKeysWithValues: row.columnNames.map { ($0, row[$0] as DatabaseValue) })
            }
        }
    }

    static func pragma(_ name: String, of path: String) throws -> Int {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        return try queue.read { try Int.fetchOne($0, sql: "PRAGMA \(name)") ?? -1 }
    }

    @Test func theFixtureIsAVersion2LedgerOfEveryKindOfRun() throws {
        try withStateDirectory { directory in
            let path = try Self.copyFixture(to: directory)
            #expect(try Self.pragma("user_version", of: path) == 2)
            let rows = try Self.rows(of: path)
            #expect(rows.count == 20)
            let states = Set(rows.compactMap { String.fromDatabaseValue($0["state"]!) })
            #expect(states == Set(RunState.allCases.map(\.rawValue)), "every state is in the fixture")
            let uids = rows.compactMap { String.fromDatabaseValue($0["kubernetes_uid"]!) }
            #expect(uids.contains("local") && uids.contains("kubernetes") && uids.contains { $0.count == 36 })
        }
    }

    @Test func everyRunAndItsHistoryIsUnchangedAfterTheMigration() throws {
        try withStateDirectory { directory in
            let path = try Self.copyFixture(to: directory)
            let before = try Self.rows(of: path)
            // What a reader of this release sees in the v2 file, before any writer migrated it.
            let read = try RunLedger.openForReading(stateDirectory: directory).history(limit: 1000)
            #expect(try Self.pragma("user_version", of: path) == 2, "a reader never migrates")

            let ledger = try RunLedger.open(stateDirectory: directory)
            #expect(try Self.pragma("user_version", of: path) == RunLedger.supportedSchemaVersion)
            #expect(try ledger.integrityReport() == ["ok"])
            let history = try ledger.history(limit: 1000)
            #expect(history == read, "the runs read the same before and after the migration")
            #expect(history.count == 20)

            // Every v2 column but the two v3 replaces holds exactly what it held.
            let after = try Self.rows(of: path)
            #expect(after.count == before.count)
            for (old, new) in zip(before, after) {
                for (column, value) in old where !["kubernetes_job", "kubernetes_uid"].contains(column) {
                    #expect(new[column] == value, "run \(old["id"]!) column \(column)")
                }
                #expect(new["kubernetes_job"] == nil && new["kubernetes_uid"] == nil, "the v2 columns are gone")
            }

            // The handle: a local run's process, a Kubernetes Job's name and (once reported) uid.
            let byID = Dictionary(uniqueKeysWithValues: history.map { ($0.id.rawValue, $0) })
            #expect(byID[1]?.handle == RunHandle(
                executor: .kubernetes, reference: "batch/nightly-report-29931840", uid: "6f1c2b9e-0d1a-4e52-9a51-1b2c3d4e5f60"))
            #expect(byID[3]?.handle == RunHandle(executor: .kubernetes, reference: "batch/sync-users-29931870"))
            #expect(byID[4]?.handle == RunHandle(executor: .local, reference: "pid=4242 start=987654"))
            #expect(byID[10]?.handle == nil && byID[10]?.blockedBy == RunID(rawValue: 9))
            #expect(byID[17]?.handle == nil && byID[17]?.state == .intended)
            for run in history {
                let old = try #require(before.first { Int64.fromDatabaseValue($0["id"]!) == run.id.rawValue })
                let job = String.fromDatabaseValue(old["kubernetes_job"]!)
                let uid = String.fromDatabaseValue(old["kubernetes_uid"]!)
                #expect(run.handle?.reference == job, "run \(run.id)")
                #expect(run.handle?.executor == job.map { _ in uid == "local" ? .local : .kubernetes }, "run \(run.id)")
            }

            // The runs to reconcile are the active ones, each with its executor on record.
            #expect(ledger.runsToReconcile.map(\.id.rawValue) == [17, 18, 19, 20])
            #expect(ledger.runsToReconcile.map { $0.handle?.executor } == [nil, .kubernetes, .kubernetes, .local])

            // The guarantees hold on the carried-over rows: once per slot, and no overlap under forbid.
            #expect(throws: LedgerError.slotAlreadyRecorded(byID[1]!.slot, existing: RunID(rawValue: 1))) {
                try ledger.recordIntent(for: byID[1]!.slot, policy: .allow, at: Date())
            }
            #expect(throws: LedgerError.jobHasActiveRun(job: "backup", blocking: RunID(rawValue: 20))) {
                try ledger.recordIntent(
                    for: Slot(job: "backup", scheduledAt: byID[20]!.scheduledAt.addingTimeInterval(60)), policy: .forbid,
                    at: Date())
            }
            // A new run continues the ids, and may use the triggers v2 could not record.
            let next = try ledger.recordIntent(
                for: Slot(job: "heartbeat", scheduledAt: byID[20]!.scheduledAt), policy: .forbid, trigger: .catchUp,
                at: Date())
            #expect(next.id == RunID(rawValue: 21) && next.trigger == .catchUp)
        }
    }

    /// A reader (`history`, `status`) that opened the file while it was v2 keeps reading it after the
    /// daemon migrated it: the table was rebuilt, so the reader must not keep v2's column names.
    @Test func aReaderOfTheVersion2FileStillReadsItAfterTheMigration() throws {
        try withStateDirectory { directory in
            _ = try Self.copyFixture(to: directory)
            let reader = try RunLedger.openForReading(stateDirectory: directory)
            let before = try reader.history(limit: 1000)
            let writer = try RunLedger.open(stateDirectory: directory)
            #expect(try reader.history(limit: 1000) == before)
            #expect(try reader.activeRuns().map(\.id) == writer.runsToReconcile.map(\.id))
            #expect(try reader.run(RunID(rawValue: 4)).handle == RunHandle(executor: .local, reference: "pid=4242 start=987654"))
        }
    }

    @Test func anIDPrunedBeforeTheMigrationIsNeverReused() throws {
        try withStateDirectory { directory in
            let path = try Self.copyFixture(to: directory)
            // The newest run was pruned while v2 ran: AUTOINCREMENT remembers 20.
            let queue = try DatabaseQueue(path: path)
            try queue.write { try $0.execute(sql: "DELETE FROM run WHERE id = 20") }
            try queue.close()
            let ledger = try RunLedger.open(stateDirectory: directory)
            let next = try ledger.recordIntent(
                for: Slot(job: "backup", scheduledAt: Date(timeIntervalSince1970: 1_900_000_000)), policy: .forbid,
                at: Date())
            #expect(next.id == RunID(rawValue: 21))
        }
    }
}
