import Foundation
import GRDB
import RunModel
import Testing

@testable import Ledger

/// A ledger file written by the previous release (schema v1, made here by the v1 migration alone)
/// is upgraded in place by the writer, keeps every row and guarantee, and stays readable by a
/// reader of this release before the upgrade.
@Suite struct MigrationTests {
    /// Makes `directory/ledger.sqlite` with the v1 migration only and three runs written as the v1
    /// daemon wrote them: a succeeded Kubernetes run, a local run still going, a skipped slot.
    static func makeVersion1File(in directory: String) throws -> String {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/" + RunLedger.databaseFileName
        let queue = try DatabaseQueue(path: path)
        try RunLedger.migrator.migrate(queue, upTo: "v1: runs")
        try queue.write { db in
            try db.execute(
                sql: """
                    INSERT INTO run (job, scheduled_at, trigger, policy, state, recorded_at, created_at, running_at,
                                     finished_at, kubernetes_job, kubernetes_uid, pod, capacity, exit_code, billed_ms)
                    VALUES ('report', ?, 'scheduled', 'forbid', 'succeeded', ?, ?, ?, ?, 'batch/report-29', 'kubernetes',
                            'report-29-x7k2p', '0.25vCPU 0.5GB', 0, 61000);
                    INSERT INTO run (job, scheduled_at, trigger, policy, state, recorded_at, created_at, kubernetes_job,
                                     kubernetes_uid)
                    VALUES ('backup', ?, 'manual', 'forbid', 'started', ?, ?, 'pid=4242 start=987654', 'local');
                    INSERT INTO run (job, scheduled_at, trigger, policy, state, recorded_at, finished_at, blocked_by, reason)
                    VALUES ('backup', ?, 'scheduled', 'forbid', 'skipped', ?, ?, 2, 'run 2 was still active');
                    """,
                arguments: [
                    minute(29).ledgerMilliseconds, minute(29).ledgerMilliseconds, minute(29).ledgerMilliseconds + 500,
                    minute(29).ledgerMilliseconds + 30_000, minute(30).ledgerMilliseconds,
                    minute(40).ledgerMilliseconds, minute(40).ledgerMilliseconds, minute(40).ledgerMilliseconds + 200,
                    minute(41).ledgerMilliseconds, minute(41).ledgerMilliseconds, minute(41).ledgerMilliseconds,
                ])
        }
        #expect(try queue.read { try Int.fetchOne($0, sql: "PRAGMA user_version") } == 1)
        try queue.close()
        return path
    }

    static func schema(of path: String) throws -> [String] {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        return try queue.read { db in
            try String.fetchAll(db, sql: "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name")
                + [String(try Int.fetchOne(db, sql: "PRAGMA user_version") ?? -1)]
                + String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier")
        }
    }

    @Test func aVersion1FileIsUpgradedInPlace() throws {
        try withStateDirectory { directory in
            let path = try Self.makeVersion1File(in: directory)

            // A reader of this release reads the v1 file as it is (only the writer migrates).
            let before = try RunLedger.openForReading(stateDirectory: directory).history(limit: 10)
            #expect(before.map(\.job) == ["backup", "backup", "report"])
            #expect(before.allSatisfy { $0.reportedAt == nil && $0.node == nil && $0.podCount == nil })
            #expect(before[2].billedDuration == .seconds(61) && before[2].capacity == "0.25vCPU 0.5GB")
            #expect(try Self.schema(of: path).contains("1"), "the reader left the file at v1")

            let ledger = try RunLedger.open(stateDirectory: directory)
            #expect(try ledger.history(limit: 10) == before, "every v1 row reads the same after the upgrade")
            #expect(ledger.runsToReconcile.map(\.job) == ["backup"])
            #expect(try ledger.integrityReport() == ["ok"])

            // The upgraded file's schema is exactly a new file's.
            let upgraded = try Self.schema(of: path)
            let fresh = try withStateDirectory { other in
                do { _ = try RunLedger.open(stateDirectory: other) }
                return try Self.schema(of: other + "/" + RunLedger.databaseFileName)
            }
            #expect(upgraded == fresh)
            #expect(upgraded.suffix(6) == [
                "5", "v1: runs", "v2: pod reports", "v3: executor-neutral runs", "v4: hosts", "v5: placement and start failures",
            ])

            // The guarantees survived: the active local run still blocks its job under forbid...
            #expect(throws: LedgerError.jobHasActiveRun(job: "backup", blocking: RunID(rawValue: 2))) {
                try ledger.recordIntent(
                    for: Slot(job: "backup", scheduledAt: minute(42)), policy: .forbid, at: minute(42))
            }
            // ...and a slot is still recorded once.
            #expect(
                throws: LedgerError.slotAlreadyRecorded(
                    Slot(job: "report", scheduledAt: minute(29)), existing: RunID(rawValue: 1))
            ) {
                try ledger.recordIntent(
                    for: Slot(job: "report", scheduledAt: minute(29)), policy: .allow, at: minute(42))
            }
            // An old run takes a report.
            let reported = try ledger.recordReport(ReportTests.full, for: RunID(rawValue: 1), at: minute(50))
            #expect(
                reported.state == .succeeded && reported.node == ReportTests.full.node
                    && reported.reportedAt == minute(50))
        }
    }

    @Test func openingTwiceMigratesOnce() throws {
        try withStateDirectory { directory in
            let path = try Self.makeVersion1File(in: directory)
            do { _ = try RunLedger.open(stateDirectory: directory) }
            let once = try Self.schema(of: path)
            do { _ = try RunLedger.open(stateDirectory: directory) }
            #expect(try Self.schema(of: path) == once)
        }
    }
}
