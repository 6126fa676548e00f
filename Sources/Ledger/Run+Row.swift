import Foundation
import GRDB

/// Times in the ledger are INTEGER milliseconds since 1970, UTC.
extension Date {
    var ledgerMilliseconds: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }
    init(ledgerMilliseconds ms: Int64) { self.init(timeIntervalSince1970: Double(ms) / 1000) }
}

extension Run {
    /// The columns of schema v1, then those v2 added, in the order ``init(row:)`` reads them.
    private static let v1Columns = """
        id, job, scheduled_at, trigger, policy, state, recorded_at, created_at, running_at, finished_at, \
        kubernetes_job, kubernetes_uid, pod, capacity, exit_code, reason, blocked_by, billed_ms
        """
    private static let v2Columns = [
        "node", "pod_count", "pod_created_at", "pod_scheduled_at", "pod_finished_at", "pod_deleted_at",
        "price_micros", "failure_cause", "output_lines", "reported_at",
    ]

    /// The columns, in the order `SELECT \(Run.columns) FROM run` returns them.
    static let columns = v1Columns + ", " + v2Columns.joined(separator: ", ")

    /// The select list for a file of schema `version`: a reader may meet a v1 file that a daemon of
    /// the previous release still has open (only the writer migrates); its v2 columns read as NULL.
    static func columns(forSchemaVersion version: Int) -> String {
        version >= 2 ? columns : v1Columns + ", " + v2Columns.map { "NULL AS \($0)" }.joined(separator: ", ")
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
        if let name: String = row[10], let uid: String = row[11] {
            kubernetesJob = KubernetesJobReference(name: name, uid: uid)
        }
        pod = row[12]
        capacity = row[13]
        exitCode = row[14]
        reason = row[15]
        blockedBy = (row[16] as Int64?).map(RunID.init(rawValue:))
        billedDuration = (row[17] as Int64?).map { .milliseconds($0) }
        node = row[18]
        podCount = (row[19] as Int64?).map { Int($0) }
        podCreatedAt = date(20)
        podScheduledAt = date(21)
        podFinishedAt = date(22)
        podDeletedAt = date(23)
        estimatedPrice = (row[24] as Int64?).map(EstimatedPrice.init(microdollars:))
        if let _: String = row[25] { failureCause = try decode(25, "failure_cause") as FailureCause }
        outputLines = (row[26] as Int64?).map { Int($0) }
        reportedAt = date(27)
    }
}
