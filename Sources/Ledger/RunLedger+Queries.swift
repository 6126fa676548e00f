public import Foundation
import GRDB
public import RunModel

extension RunLedger {
    /// The run with this id.
    /// - Throws: ``LedgerError/noSuchRun(_:)``.
    public func run(_ id: RunID) throws(LedgerError) -> Run {
        try translating { try reader.read { try fetchRun(id, in: $0) } }
    }

    /// Every run that is not over (`intended`, `started`, `running`), oldest first.
    public func activeRuns() throws(LedgerError) -> [Run] {
        try fetch({ "SELECT \($0) FROM run WHERE state IN (\(Self.activeList)) ORDER BY id" }, [])
    }

    /// Every run that is not terminal, oldest first: the same set as ``activeRuns()``, since an
    /// `intended` run already holds its job's slot. Named for reconciliation, which must look at all
    /// of them (``runsToReconcile`` is this list taken when the ledger was opened).
    public func nonTerminalRuns() throws(LedgerError) -> [Run] { try activeRuns() }

    /// The active run of `job`, if any (the oldest, if the job allows overlap).
    public func activeRun(of job: String) throws(LedgerError) -> Run? {
        try fetch(
            { "SELECT \($0) FROM run WHERE job = ? AND state IN (\(Self.activeList)) ORDER BY id LIMIT 1" }, [job]
        ).first
    }

    /// The most recent finished (terminal) run of `job`, by scheduled time, if any.
    public func lastRun(of job: String) throws(LedgerError) -> Run? {
        try fetch(
            {
                """
                SELECT \($0) FROM run WHERE job = ? AND state NOT IN (\(Self.activeList))
                ORDER BY scheduled_at DESC LIMIT 1
                """
            }, [job]
        ).first
    }

    /// Runs, newest scheduled first.
    /// - Parameters:
    ///   - job: only this job's runs; all jobs when `nil`.
    ///   - limit: at most this many runs.
    ///   - since: only runs scheduled at or after this instant.
    public func history(job: String? = nil, limit: Int = 50, since: Date? = nil) throws(LedgerError) -> [Run] {
        var conditions: [String] = []
        var arguments: [any DatabaseValueConvertible] = []
        if let job {
            conditions.append("job = ?")
            arguments.append(job)
        }
        if let since {
            conditions.append("scheduled_at >= ?")
            arguments.append(since.ledgerMilliseconds)
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        arguments.append(max(0, limit))
        return try fetch({ "SELECT \($0) FROM run \(filter) ORDER BY scheduled_at DESC, id DESC LIMIT ?" }, arguments)
    }

    /// Runs `PRAGMA integrity_check` (the full form; `open` runs the quick one) and returns its
    /// report: `["ok"]` when the database is sound.
    public func integrityReport() throws(LedgerError) -> [String] {
        try translating { try reader.read { try String.fetchAll($0, sql: "PRAGMA integrity_check") } }
    }

    static let activeList = RunState.activeStates.map { "'\($0.rawValue)'" }.joined(separator: ", ")

    /// Runs the query `sql` makes from the select list of a run in this file.
    private func fetch(
        _ sql: (_ columns: String) -> String, _ arguments: [any DatabaseValueConvertible]
    ) throws(LedgerError) -> [Run] {
        try translating {
            try reader.read { db in
                try Row.fetchAll(db, sql: sql(try runColumns(in: db)), arguments: StatementArguments(arguments))
                    .map { try Run(row: $0) }
            }
        }
    }
}

// Alerting (#17): a job's last success and failure, and when it was first seen.
extension RunLedger {
    /// The most recent run of `job` that ended in `state` (by when it finished), if any: a job's
    /// last success and last failure, for `status JOB`, the overdue check and the metrics (#17).
    public func lastRun(of job: String, endedIn state: RunState) throws(LedgerError) -> Run? {
        try fetch(
            {
                """
                SELECT \($0) FROM run WHERE job = ? AND state = ?
                ORDER BY COALESCE(finished_at, scheduled_at) DESC, id DESC LIMIT 1
                """
            }, [job, state.rawValue]
        ).first
    }

    /// When each job's most recent run that ended in `state` ended (its finish, else its slot), for
    /// every job at once: what the metrics' last-success and last-failure gauges start from. One
    /// query, where ``lastRun(of:endedIn:)`` per job costs a daemon with 10,000 jobs seconds at start.
    public func lastEnds(in state: RunState) throws(LedgerError) -> [String: Date] {
        try translating {
            try reader.read { db in
                var ends: [String: Date] = [:]
                let rows = try Row.fetchCursor(
                    db, sql: "SELECT job, MAX(COALESCE(finished_at, scheduled_at)) FROM run WHERE state = ? GROUP BY job",
                    arguments: [state.rawValue])
                while let row = try rows.next() {
                    ends[row[0]] = Date(ledgerMilliseconds: row[1])
                }
                return ends
            }
        }
    }

    /// The earliest slot the ledger holds for `job` (when the job was first seen, within the
    /// ledger's retention), if any.
    public func firstRun(of job: String) throws(LedgerError) -> Run? {
        try fetch({ "SELECT \($0) FROM run WHERE job = ? ORDER BY scheduled_at, id LIMIT 1" }, [job]).first
    }
}
