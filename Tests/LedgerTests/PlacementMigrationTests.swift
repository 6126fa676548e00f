import Foundation
import GRDB
import RunModel
import Testing

@testable import Ledger

/// Schema v5 adds where a run's pod ran and what kept a run from starting, with ALTER TABLE: a v3
/// file upgrades in place with every row as it was, and this release's reader reads a v3 file
/// that an older daemon still has open.
@Suite struct PlacementMigrationTests {
    /// Makes a v3 file (the migrations up to v3 alone) holding one reported Kubernetes run.
    static func makeVersion3File(in directory: String) throws -> String {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/" + RunLedger.databaseFileName
        let queue = try DatabaseQueue(path: path)
        try RunLedger.migrator.migrate(queue, upTo: "v3: executor-neutral runs")
        try queue.write { db in
            try db.execute(
                sql: """
                    INSERT INTO run (job, scheduled_at, trigger, policy, state, recorded_at, created_at, finished_at,
                                     executor, handle, handle_uid, pod, capacity, exit_code, node, pod_count, reported_at)
                    VALUES ('report', ?, 'scheduled', 'forbid', 'succeeded', ?, ?, ?, 'kubernetes', 'batch/report-29',
                            'uid-1', 'report-29-x7k2p', '0.25vCPU 0.5GB', 0, 'fargate-ip-10-0-1-7.ec2.internal', 1, ?);
                    """,
                arguments: [
                    minute(29).ledgerMilliseconds, minute(29).ledgerMilliseconds, minute(29).ledgerMilliseconds + 500,
                    minute(30).ledgerMilliseconds, minute(30).ledgerMilliseconds,
                ])
        }
        #expect(try queue.read { try Int.fetchOne($0, sql: "PRAGMA user_version") } == 3)
        try queue.close()
        return path
    }

    @Test func aVersion3FileIsUpgradedInPlace() throws {
        try withStateDirectory { directory in
            let path = try Self.makeVersion3File(in: directory)
            let before = try RunLedger.openForReading(stateDirectory: directory).history(limit: 10)
            #expect(before.count == 1 && before[0].node == "fargate-ip-10-0-1-7.ec2.internal")
            #expect(before[0].placement == nil && before[0].placementNote == nil && before[0].startFailure == nil)
            #expect(try MigrationTests.schema(of: path).contains("3"), "the reader left the file at v3")

            let ledger = try RunLedger.open(stateDirectory: directory)
            #expect(try ledger.history(limit: 10) == before, "the v3 row reads the same after the upgrade")
            #expect(try MigrationTests.schema(of: path).suffix(2) == ["v4: hosts", "v5: placement and start failures"])
            var report = ReportTests.full
            report.placement = .notFargate
            report.placementNote = "its node ip-10-0-1-7.ec2.internal is not a Fargate node"
            let reported = try ledger.recordReport(report, for: RunID(rawValue: 1), at: minute(31))
            #expect(reported.placement == .notFargate && reported.placementNote == report.placementNote)
            #expect(try ledger.integrityReport() == ["ok"])
        }
    }

    /// The columns take only the names the code writes: a value from a newer release, or a typo in
    /// hand-written SQL, is refused by SQLite itself.
    @Test(arguments: ["placement", "start_failure"])
    func theColumnsRefuseUnknownValues(_ column: String) throws {
        try withStateDirectory { directory in
            do { _ = try RunLedger.open(stateDirectory: directory) }
            let queue = try DatabaseQueue(path: directory + "/" + RunLedger.databaseFileName)
            defer { try? queue.close() }
            #expect(throws: DatabaseError.self) {
                try queue.write { db in
                    try db.execute(
                        sql: "INSERT INTO run (job, scheduled_at, trigger, policy, state, recorded_at, \(column)) "
                            + "VALUES ('a', 1, 'scheduled', 'forbid', 'intended', 1, 'somewhere')")
                }
            }
        }
    }

    /// Every value of the Swift enums is one the columns' CHECK takes (they are written out in the
    /// migration, which never changes).
    @Test func everyValueIsAccepted() throws {
        try withStateDirectory { directory in
            let ledger = try RunLedger.open(stateDirectory: directory)
            for (index, failure) in StartFailure.allCases.enumerated() {
                let slot = Slot(job: "j\(index)", scheduledAt: minute(index))
                let run = try ledger.recordIntent(for: slot, policy: .forbid, at: minute(index))
                try ledger.record(.started(RunHandle(executor: .kubernetes, reference: "batch/j\(index)", uid: nil)), for: run.id, at: minute(index))
                let placement = Placement.allCases[index % Placement.allCases.count]
                let reported = try ledger.recordReport(
                    PodReport(placement: placement, startFailure: failure), for: run.id, at: minute(index))
                #expect(reported.startFailure == failure && reported.placement == placement)
            }
        }
    }
}
