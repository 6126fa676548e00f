import Foundation
import GRDB

/// Times in the ledger are INTEGER milliseconds since 1970, UTC.
extension Date {
    var ledgerMilliseconds: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }
    init(ledgerMilliseconds ms: Int64) { self.init(timeIntervalSince1970: Double(ms) / 1000) }
}

extension Run {
    /// The columns, in the order `SELECT \(Run.columns) FROM run` returns them.
    static let columns = """
        id, job, scheduled_at, trigger, policy, state, recorded_at, created_at, running_at, finished_at, \
        kubernetes_job, kubernetes_uid, pod, capacity, exit_code, reason, blocked_by, billed_ms
        """

    /// Decodes a row selected with ``columns``.
    init(row: Row) throws {
        func date(_ column: String) -> Date? { (row[column] as Int64?).map(Date.init(ledgerMilliseconds:)) }
        func decode<T: RawRepresentable<String>>(_ column: String) throws -> T {
            let text: String = row[column]
            guard let value = T(rawValue: text) else {
                throw DatabaseError(resultCode: .SQLITE_MISMATCH, message: "unknown \(column) '\(text)' in run \(row["id"] ?? "?")")
            }
            return value
        }
        id = RunID(rawValue: row["id"])
        slot = Slot(job: row["job"], scheduledAt: Date(ledgerMilliseconds: row["scheduled_at"]))
        trigger = try decode("trigger")
        policy = try decode("policy")
        state = try decode("state")
        recordedAt = Date(ledgerMilliseconds: row["recorded_at"])
        createdAt = date("created_at")
        runningAt = date("running_at")
        finishedAt = date("finished_at")
        if let name: String = row["kubernetes_job"], let uid: String = row["kubernetes_uid"] {
            kubernetesJob = KubernetesJobReference(name: name, uid: uid)
        }
        pod = row["pod"]
        capacity = row["capacity"]
        exitCode = row["exit_code"]
        reason = row["reason"]
        blockedBy = (row["blocked_by"] as Int64?).map(RunID.init(rawValue:))
        billedDuration = (row["billed_ms"] as Int64?).map { .milliseconds($0) }
    }
}
