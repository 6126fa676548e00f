import Foundation
import GRDB
import RunModel
import Testing

@testable import Ledger

/// Executors' reports (``PodReport``) in a real ledger file: recorded in one write, read back, idempotent.
@Suite struct ReportTests {
    /// A full report of a run whose one pod ran on Fargate.
    static let full = PodReport(
        kubernetesUID: "6f1c2b8e-uid", pod: "report-29-x7k2p", podCount: 1, node: "fargate-ip-10-0-1-7.ec2.internal",
        capacity: "0.25vCPU 0.5GB", podCreatedAt: minute(29).addingTimeInterval(1),
        podScheduledAt: minute(29).addingTimeInterval(2), runningAt: minute(29).addingTimeInterval(40),
        podFinishedAt: minute(31), podDeletedAt: minute(31).addingTimeInterval(1.5), billedDuration: .seconds(120),
        estimatedPrice: EstimatedPrice(microdollars: 412), failure: nil, outputLines: 12)

    /// Checks that `run` carries everything `report` says.
    static func expectCarries(_ run: Run, _ report: PodReport, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(
            run.pod == report.pod && run.podCount == report.podCount && run.node == report.node,
            sourceLocation: sourceLocation)
        #expect(run.capacity == report.capacity && run.runningAt == report.runningAt, sourceLocation: sourceLocation)
        #expect(
            run.podCreatedAt == report.podCreatedAt && run.podScheduledAt == report.podScheduledAt,
            sourceLocation: sourceLocation)
        #expect(
            run.podFinishedAt == report.podFinishedAt && run.podDeletedAt == report.podDeletedAt,
            sourceLocation: sourceLocation)
        #expect(
            run.billedDuration == report.billedDuration && run.estimatedPrice == report.estimatedPrice,
            sourceLocation: sourceLocation)
        #expect(
            run.failureCause == report.failure && run.outputLines == report.outputLines, sourceLocation: sourceLocation)
    }

    struct Order: CustomTestStringConvertible, Sendable {
        var name: String
        var reportFirst: Bool
        var testDescription: String { name }
    }

    /// The report may arrive before the scheduler records the outcome, or after: either way the run
    /// ends in the outcome's state with the report's facts.
    @Test(arguments: [
        Order(name: "report before outcome", reportFirst: true),
        Order(name: "report after outcome", reportFirst: false),
    ])
    func reportIsRecordedAndReadBack(_ order: Order) throws {
        try withStateDirectory { directory in
            let ledger = try RunLedger.open(stateDirectory: directory)
            let started = try makeRun(in: ledger, slot: 29, reaching: .started)
            var report = Self.full
            report.failure = .outOfMemory
            if order.reportFirst { try ledger.recordReport(report, for: started.id, at: minute(32)) }
            let ended = try ledger.record(.failed(exitCode: 137, reason: "OOMKilled"), for: started.id, at: minute(33))
            if !order.reportFirst { try ledger.recordReport(report, for: started.id, at: minute(32)) }

            let run = try ledger.run(started.id)
            #expect(run.state == .failed && run.exitCode == 137 && run.finishedAt == ended.finishedAt)
            #expect(run.handle == RunHandle(executor: .kubernetes, reference: "report-29", uid: "6f1c2b8e-uid"))
            #expect(run.reportedAt == minute(32) && run.createdAt == started.createdAt)
            Self.expectCarries(run, report)
            #expect(run.failureCause?.origin == .job)
            // A reader in another connection (as `history` is) sees the same row.
            #expect(try RunLedger.openForReading(stateDirectory: directory).history(limit: 1) == [run])
        }
    }

    @Test func recordingTwiceIsHarmless() throws {
        try withStateDirectory { directory in
            let ledger = try RunLedger.open(stateDirectory: directory)
            let run = try makeRun(in: ledger, slot: 29, reaching: .succeeded)
            let first = try ledger.recordReport(Self.full, for: run.id, at: minute(32))
            let second = try ledger.recordReport(Self.full, for: run.id, at: minute(45))
            #expect(second == first)
            #expect(second.reportedAt == minute(32), "the first recording's time is kept")
            #expect(try ledger.run(run.id) == first)
            #expect(try ledger.history(limit: 10).count == 1)
            #expect(try ledger.integrityReport() == ["ok"])
        }
    }

    @Test func aReportKeepsWhatItDoesNotKnow() throws {
        try withStateDirectory { directory in
            let ledger = try RunLedger.open(stateDirectory: directory)
            var run = try makeRun(in: ledger, slot: 29, reaching: .started)
            run = try ledger.record(
                .running(pod: "report-29-x7k2p", capacity: "1vCPU 2GB"), for: run.id, at: minute(30))
            try ledger.recordBilledDuration(.seconds(75), for: run.id)
            // The pod was deleted before its size or scheduling was ever seen: nothing to bill by.
            let sparse = PodReport(podCount: 1, podDeletedAt: minute(31), failure: .evicted, outputLines: 0)
            let after = try ledger.recordReport(sparse, for: run.id, at: minute(32))
            #expect(after.pod == "report-29-x7k2p" && after.capacity == "1vCPU 2GB" && after.runningAt == minute(30))
            #expect(after.billedDuration == .seconds(75) && after.estimatedPrice == nil)
            #expect(after.handle == RunHandle(executor: .kubernetes, reference: "report-29", uid: "uid-29"))
            #expect(after.podDeletedAt == minute(31) && after.failureCause == .evicted && after.outputLines == 0)
            #expect(after.state == .running)
        }
    }

    @Test func theJobsUIDNeedsItsName() throws {
        try withStateDirectory { directory in
            let ledger = try RunLedger.open(stateDirectory: directory)
            // The report came before `started` was recorded: no Job name to pair the uid with yet.
            let intended = try makeRun(in: ledger, slot: 29, reaching: .intended)
            let after = try ledger.recordReport(Self.full, for: intended.id, at: minute(32))
            #expect(after.handle == nil && after.state == .intended)
            #expect(try ledger.run(intended.id).pod == Self.full.pod)
        }
    }

    @Test(arguments: RunState.neverRanStates)
    func refusedForARunThatNeverRan(_ state: RunState) throws {
        try withStateDirectory { directory in
            let ledger = try RunLedger.open(stateDirectory: directory)
            let run = try makeRun(in: ledger, slot: 29, reaching: state)
            #expect(throws: LedgerError.reportForRunThatNeverRan(run.id, state: state)) {
                try ledger.recordReport(Self.full, for: run.id, at: minute(32))
            }
            #expect(try ledger.run(run.id) == run)
            let missing = RunID(rawValue: 999)
            #expect(throws: LedgerError.noSuchRun(missing)) {
                try ledger.recordReport(Self.full, for: missing, at: minute(32))
            }
            let reader = try RunLedger.openForReading(stateDirectory: directory)
            #expect(throws: LedgerError.openedForReading) {
                try reader.recordReport(Self.full, for: run.id, at: minute(32))
            }
        }
    }

    /// The schema derives `failure_kind` from `failure_cause`; the table is written out here, apart
    /// from both the SQL and ``FailureCause/origin``.
    @Test(arguments: [
        ("exit-status", "job"), ("out-of-memory", "job"), ("deadline-exceeded", "job"),
        ("evicted", "platform"), ("pending-timeout", "platform"),
    ])
    func failureKindIsTheJobsOrThePlatforms(cause: String, kind: String) throws {
        try withStateDirectory { directory in
            let ledger = try RunLedger.open(stateDirectory: directory)
            let run = try makeRun(in: ledger, slot: 29, reaching: .failed)
            var report = Self.full
            report.failure = try #require(FailureCause(rawValue: cause))
            #expect(try ledger.recordReport(report, for: run.id, at: minute(32)).failureCause?.origin.rawValue == kind)
            let writer = try #require(ledger.writer)
            let stored = try writer.read { db in
                try Row.fetchOne(
                    db, sql: "SELECT failure_cause, failure_kind FROM run WHERE id = ?", arguments: [run.id.rawValue])
            }
            #expect(stored?["failure_cause"] as String? == cause && stored?["failure_kind"] as String? == kind)
            // And a run without a failure has no kind.
            let other = try makeRun(in: ledger, slot: 30, reaching: .succeeded)
            try ledger.recordReport(Self.full, for: other.id, at: minute(32))
            #expect(
                try writer.read {
                    try String.fetchOne(
                        $0, sql: "SELECT failure_kind FROM run WHERE id = ?", arguments: [other.id.rawValue])
                } == nil)
        }
    }

    /// Raw SQL against the file cannot store what the API could not: the schema itself refuses it.
    @Test(arguments: [
        "UPDATE run SET price_micros = -1", "UPDATE run SET pod_count = -1", "UPDATE run SET output_lines = -2",
        "UPDATE run SET failure_cause = 'bad-luck'", "UPDATE run SET failure_kind = 'job'",
        "UPDATE run SET price_micros = '0.000206'",
    ])
    func theSchemaRefusesBadReports(_ sql: String) throws {
        try withStateDirectory { directory in
            let ledger = try RunLedger.open(stateDirectory: directory)
            let run = try makeRun(in: ledger, slot: 29, reaching: .failed)
            try ledger.recordReport(Self.full, for: run.id, at: minute(32))
            let writer = try #require(ledger.writer)
            #expect(throws: DatabaseError.self) { try writer.write { try $0.execute(sql: sql) } }
            #expect(try ledger.run(run.id).estimatedPrice == Self.full.estimatedPrice)
        }
    }

    struct PriceCase: CustomTestStringConvertible, Sendable {
        var dollars: String
        var microdollars: Int64?
        var text: String?
        var testDescription: String { dollars }
    }

    @Test(arguments: [
        PriceCase(dollars: "0.00020571", microdollars: 206, text: "0.000206"),  // 0.25 vCPU, 0.5 GB, one minute
        PriceCase(dollars: "0.0000005", microdollars: 1, text: "0.000001"),  // a half rounds away from zero
        PriceCase(dollars: "0.00000049", microdollars: 0, text: "0.000000"),
        PriceCase(dollars: "12.345678", microdollars: 12_345_678, text: "12.345678"),
        PriceCase(dollars: "1.5", microdollars: 1_500_000, text: "1.500000"),
        PriceCase(dollars: "-0.01", microdollars: nil, text: nil),
    ])
    func pricesAreWholeMicrodollars(_ c: PriceCase) throws {
        let price = EstimatedPrice(
            dollars: try #require(Decimal(string: c.dollars, locale: Locale(identifier: "en_US_POSIX"))))
        #expect(price?.microdollars == c.microdollars)
        #expect(price?.description == c.text)
        if let price {
            #expect(price.dollars == Decimal(string: c.text ?? "", locale: Locale(identifier: "en_US_POSIX")))
        }
    }
}
