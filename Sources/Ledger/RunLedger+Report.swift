public import Foundation
import GRDB
public import RunModel

extension RunLedger {
    /// Records what the executor reported of run `id`'s pods, in one write: the last pod, its node,
    /// size and timeline, the billed duration and estimated price of all its pods, whose fault a
    /// failure was, whether the pod ran on Fargate and what kept the run from starting. The run's
    /// state does not change.
    ///
    /// Allowed in any state of a run that started or was meant to (the report usually arrives just
    /// before or after the outcome is recorded), and idempotent: recording the same report again
    /// changes nothing, and ``Run/reportedAt`` keeps the first time. A later report overwrites what
    /// an earlier one said; a value the report lacks keeps what the ledger knew (the pod seen
    /// running, a billed duration recorded on its own, the Job's uid).
    ///
    /// - Parameters:
    ///   - report: what the executor learnt.
    ///   - id: the run.
    ///   - now: the time of recording.
    /// - Returns: the run as it is now.
    /// - Throws: ``LedgerError/noSuchRun(_:)``; ``LedgerError/reportForRunThatNeverRan(_:state:)`` for a
    ///   skipped, missed or suspended run.
    @discardableResult
    public func recordReport(_ report: PodReport, for id: RunID, at now: Date) throws(LedgerError) -> Run {
        precondition(report.podCount >= 0 && (report.outputLines ?? 0) >= 0, "counts cannot be negative")
        let writer = try requireWriter()
        return try translating {
            try writer.write { db in
                let neverRan = RunState.neverRanStates.map { "'\($0.rawValue)'" }.joined(separator: ", ")
                // The report has the Job's uid, which makes sense only beside the Job's name: a run
                // started by the kubernetes executor.
                let update = try db.cachedStatement(
                    sql: """
                        UPDATE run SET
                            handle_uid = CASE WHEN executor = '\(ExecutorKind.kubernetes.rawValue)'
                                              THEN coalesce(:uid, handle_uid) ELSE handle_uid END,
                            pod = coalesce(:pod, pod), capacity = coalesce(:capacity, capacity),
                            running_at = coalesce(:runningAt, running_at), billed_ms = coalesce(:billed, billed_ms),
                            node = :node, pod_count = :podCount, pod_created_at = :podCreatedAt,
                            pod_scheduled_at = :podScheduledAt, pod_finished_at = :podFinishedAt,
                            pod_deleted_at = :podDeletedAt, price_micros = :price, failure_cause = :failure,
                            output_lines = :outputLines, reported_at = coalesce(reported_at, :now),
                            placement = :placement, placement_note = :placementNote, start_failure = :startFailure
                        WHERE id = :id AND state NOT IN (\(neverRan))
                        RETURNING \(Run.columns)
                        """)
                let arguments: [String: (any DatabaseValueConvertible)?] = [
                    "uid": report.kubernetesUID, "pod": report.pod, "capacity": report.capacity,
                    "runningAt": report.runningAt?.ledgerMilliseconds,
                    "billed": report.billedDuration.map(Self.milliseconds),
                    "node": report.node, "podCount": Int64(report.podCount),
                    "podCreatedAt": report.podCreatedAt?.ledgerMilliseconds,
                    "podScheduledAt": report.podScheduledAt?.ledgerMilliseconds,
                    "podFinishedAt": report.podFinishedAt?.ledgerMilliseconds,
                    "podDeletedAt": report.podDeletedAt?.ledgerMilliseconds,
                    "price": report.estimatedPrice?.microdollars, "failure": report.failure?.rawValue,
                    "outputLines": report.outputLines.map { Int64($0) }, "now": now.ledgerMilliseconds,
                    "placement": report.placement?.rawValue, "placementNote": report.placementNote,
                    "startFailure": report.startFailure?.rawValue,
                    "id": id.rawValue,
                ]
                guard let row = try Row.fetchOne(update, arguments: StatementArguments(arguments)) else {
                    let run = try fetchRun(id, in: db)  // throws noSuchRun
                    throw LedgerError.reportForRunThatNeverRan(id, state: run.state)
                }
                return try Run(row: row)
            }
        }
    }

    /// Whole milliseconds of `duration`, truncated.
    static func milliseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    }
}
