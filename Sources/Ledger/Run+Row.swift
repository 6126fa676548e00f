import Foundation
import GRDB
import RunModel

/// Times in the ledger are INTEGER milliseconds since 1970, UTC.
extension Date {
    var ledgerMilliseconds: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }
    init(ledgerMilliseconds ms: Int64) { self.init(timeIntervalSince1970: Double(ms) / 1000) }
}

extension Run {
    /// The columns of schema v5, in the order ``init(row:)`` reads them: the run, its executor's
    /// handle, then the pod report (v2), the hosts (v4), the placement (v5).
    private static let runColumns = [
        "id", "job", "scheduled_at", "trigger", "policy", "state", "recorded_at", "created_at", "running_at",
        "finished_at",
    ]
    private static let handleColumns = ["executor", "handle", "handle_uid"]
    private static let outcomeColumns = ["pod", "capacity", "exit_code", "reason", "blocked_by", "billed_ms"]
    private static let reportColumns = [
        "node", "pod_count", "pod_created_at", "pod_scheduled_at", "pod_finished_at", "pod_deleted_at",
        "price_micros", "failure_cause", "output_lines", "reported_at",
    ]

    private static let hostColumns = ["started_by", "finished_by"]

    /// Where the last pod ran and what kept the run from starting (v5, ``RunLedger/migrateToPlacement(_:)``).
    private static let placementColumns = ["placement", "placement_note", "start_failure"]

    /// The columns, in the order `SELECT \(Run.columns) FROM run` returns them.
    static let columns = (runColumns + handleColumns + outcomeColumns + reportColumns + hostColumns + placementColumns)
        .joined(separator: ", ")

    /// How a file of schema v1 or v2 said what v3's handle columns say: the Kubernetes Job's name
    /// and uid, where a `local` run kept its process identity as the name and `local` as the uid (and
    /// a Kubernetes run `kubernetes` as the uid until its report brought the real one). The
    /// migration to v3 and a reader of an older file (``columns(forSchemaVersion:)``) both use it.
    static let handleFromVersion2 = [
        "CASE WHEN kubernetes_job IS NULL THEN NULL WHEN kubernetes_uid = 'local' THEN 'local' ELSE 'kubernetes' END",
        "kubernetes_job",
        "CASE WHEN kubernetes_job IS NULL OR kubernetes_uid IN ('local', 'kubernetes') THEN NULL ELSE kubernetes_uid END",
    ]

    /// The select list for a file of schema `version`: a reader may meet an older file that a daemon
    /// of a previous release still has open (only the writer migrates). Its handle is read as the
    /// migration would carry it over; v2's report columns read as NULL in a v1 file, v4's hosts and v5's placement in any older one.
    static func columns(forSchemaVersion version: Int) -> String {
        guard version < 5 else { return columns }
        let placement = placementColumns.map { "NULL AS \($0)" }
        let hosts = version >= 4 ? hostColumns : hostColumns.map { "NULL AS \($0)" }
        guard version < 3 else {
            return (runColumns + handleColumns + outcomeColumns + reportColumns + hosts + placement).joined(separator: ", ")
        }
        let handle = zip(handleFromVersion2, handleColumns).map { "\($0) AS \($1)" }
        let report = version >= 2 ? reportColumns : reportColumns.map { "NULL AS \($0)" }
        return (runColumns + handle + outcomeColumns + report + hosts + placement).joined(separator: ", ")
    }

    /// Decodes a row selected with ``columns``, by position (looking columns up by name cost a
    /// noticeable share of a transition's CPU time).
    init(row: Row) throws {
        func date(_ index: Int) -> Date? { (row[index] as Int64?).map(Date.init(ledgerMilliseconds:)) }
        func decode<T: RawRepresentable<String>>(_ index: Int, _ column: String) throws -> T {
            let text: String = row[index]
            guard let value = T(rawValue: text) else {
                throw DatabaseError(
                    resultCode: .SQLITE_MISMATCH, message: "unknown \(column) '\(text)' in run \(row[0] ?? "?")")
            }
            return value
        }
        id = RunID(rawValue: row[0])
        slot = Slot(job: row[1], scheduledAt: Date(ledgerMilliseconds: row[2]))
        trigger = try decode(3, "trigger")
        policy = try decode(4, "policy")
        state = try decode(5, "state")
        recordedAt = Date(ledgerMilliseconds: row[6])
        createdAt = date(7)
        runningAt = date(8)
        finishedAt = date(9)
        if let _: String = row[10], let reference: String = row[11] {
            handle = RunHandle(executor: try decode(10, "executor"), reference: reference, uid: row[12])
        }
        pod = row[13]
        capacity = row[14]
        exitCode = row[15]
        reason = row[16]
        blockedBy = (row[17] as Int64?).map(RunID.init(rawValue:))
        billedDuration = (row[18] as Int64?).map { .milliseconds($0) }
        node = row[19]
        podCount = (row[20] as Int64?).map { Int($0) }
        podCreatedAt = date(21)
        podScheduledAt = date(22)
        podFinishedAt = date(23)
        podDeletedAt = date(24)
        estimatedPrice = (row[25] as Int64?).map(EstimatedPrice.init(microdollars:))
        if let _: String = row[26] { failureCause = try decode(26, "failure_cause") as FailureCause }
        outputLines = (row[27] as Int64?).map { Int($0) }
        reportedAt = date(28)
        startedBy = row[29]
        finishedBy = row[30]
        if let _: String = row[31] { placement = try decode(31, "placement") as Placement }
        placementNote = row[32]
        if let _: String = row[33] { startFailure = try decode(33, "start_failure") as StartFailure }
    }
}
