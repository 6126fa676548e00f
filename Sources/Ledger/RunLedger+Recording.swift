public import Foundation
import GRDB
public import RunModel

extension RunLedger {
    /// Records the intent to run `slot`, before any API call: the run starts `intended`.
    ///
    /// - Parameters:
    ///   - slot: the job and its fire time (for a manual trigger, the time it was asked for).
    ///   - policy: the job's concurrency policy; under `forbid` the job must have no active run.
    ///   - trigger: whether the schedule or a person asked for the run.
    ///   - now: the time of recording.
    /// - Returns: the new run.
    /// - Throws: ``LedgerError/slotAlreadyRecorded(_:existing:)`` (once per slot),
    ///   ``LedgerError/jobHasActiveRun(job:blocking:)`` (no overlap), ``LedgerError/invalidJobName(_:)``.
    @discardableResult
    public func recordIntent(
        for slot: Slot, policy: ConcurrencyPolicy, trigger: Trigger = .scheduled, at now: Date
    ) throws(LedgerError) -> Run {
        try insert(slot, state: .intended, policy: policy, trigger: trigger, at: now)
    }

    /// Records a slot that never ran: skipped because `blockedBy` was active, missed, or suspended.
    /// Once per slot holds for these too.
    /// - Throws: ``LedgerError/slotAlreadyRecorded(_:existing:)``, ``LedgerError/invalidJobName(_:)``.
    @discardableResult
    public func record(
        _ outcome: NeverRanOutcome, for slot: Slot, policy: ConcurrencyPolicy, trigger: Trigger = .scheduled,
        at now: Date
    ) throws(LedgerError) -> Run {
        try insert(slot, state: outcome.state, policy: policy, trigger: trigger, at: now, outcome: outcome)
    }

    /// Moves run `id` to the state `event` leads to, recording what the event carries.
    /// - Parameter host: the host that did it: `started_by` of a start, `finished_by` of an end
    ///   (default: this ledger's ``host``). A leader adopting a run another host started names that host.
    /// - Returns: the run as it is now.
    /// - Throws: ``LedgerError/transitionNotAllowed(_:from:to:)``, ``LedgerError/noSuchRun(_:)``.
    @discardableResult
    public func record(_ event: RunEvent, for id: RunID, at now: Date, by host: String? = nil) throws(LedgerError) -> Run {
        let writer = try requireWriter()
        let host = host ?? self.host
        return try translating {
            try writer.write { db in
                let target = event.resultingState
                var changes: [String: (any DatabaseValueConvertible)?] = ["state": target.rawValue]
                if let host {
                    if case .started = event { changes["started_by"] = host }
                    if target.isTerminal { changes["finished_by"] = host }
                }
                let ms = now.ledgerMilliseconds
                switch event {
                case .started(let handle):
                    changes["created_at"] = ms
                    changes["executor"] = handle.executor.rawValue
                    changes["handle"] = handle.reference
                    changes["handle_uid"] = handle.uid
                case .running(let pod, let capacity):
                    changes["running_at"] = ms
                    changes["pod"] = pod
                    changes["capacity"] = capacity
                case .succeeded:
                    changes["finished_at"] = ms
                    changes["exit_code"] = 0
                case .failed(let exitCode, let reason):
                    changes["finished_at"] = ms
                    changes["exit_code"] = exitCode.map(Int64.init)
                    changes["reason"] = reason
                case .cancelled(let reason), .missed(let reason):
                    changes["finished_at"] = ms
                    changes["reason"] = reason
                case .replaced(let newer):
                    changes["finished_at"] = ms
                    changes["reason"] = newer.map { "replaced by run \($0)" } ?? "replaced by a newer run"
                }
                let columns = changes.keys.sorted()
                // One statement checks the state machine, updates and returns the run: it matches only
                // if the run is in a state allowed to move to `target`. The SQL text depends only on the
                // event's kind, so the prepared statement is reused.
                let predecessors = RunState.allCases.filter { $0.canMove(to: target) }
                let update = try db.cachedStatement(
                    sql: """
                        UPDATE run SET \(columns.map { "\($0) = ?" }.joined(separator: ", "))
                        WHERE id = ? AND state IN (\(predecessors.map { "'\($0.rawValue)'" }.joined(separator: ", ")))
                        RETURNING \(Run.columns)
                        """)
                let arguments = StatementArguments(columns.map { changes[$0]! } + [id.rawValue])
                guard let row = try Row.fetchOne(update, arguments: arguments) else {
                    let run = try fetchRun(id, in: db)  // throws noSuchRun
                    throw LedgerError.transitionNotAllowed(id, from: run.state, to: target)
                }
                return try Run(row: row)
            }
        }
    }

    /// Records the Fargate billed duration of run `id`, once known (usually after it ended).
    /// - Throws: ``LedgerError/noSuchRun(_:)``.
    public func recordBilledDuration(_ duration: Duration, for id: RunID) throws(LedgerError) {
        let writer = try requireWriter()
        let ms = Self.milliseconds(duration)
        try translating {
            try writer.write { db in
                try db.execute(sql: "UPDATE run SET billed_ms = ? WHERE id = ?", arguments: [ms, id.rawValue])
                guard db.changesCount == 1 else { throw LedgerError.noSuchRun(id) }
            }
        }
    }

    /// Deletes terminal runs scheduled before `cutoff`, `batchSize` rows per transaction so that
    /// the writer is never held for long (a recording waits for at most one batch). Active runs
    /// are never pruned.
    /// - Returns: how many runs were deleted.
    @discardableResult
    public func prune(olderThan cutoff: Date, batchSize: Int = 500) throws(LedgerError) -> Int {
        var total = 0
        while true {
            let deleted = try pruneBatch(olderThan: cutoff, batchSize: batchSize)
            total += deleted
            if deleted < batchSize { return total }
        }
    }

    /// One step of ``prune(olderThan:batchSize:)``: deletes at most `batchSize` terminal runs
    /// scheduled before `cutoff`, in one transaction. The daemon calls it in a loop and yields
    /// between steps, so that pruning never holds up scheduling.
    /// - Returns: how many runs were deleted; fewer than `batchSize` means none is left to prune.
    @discardableResult
    public func pruneBatch(olderThan cutoff: Date, batchSize: Int = 500) throws(LedgerError) -> Int {
        precondition(batchSize > 0, "batchSize must be positive")
        let writer = try requireWriter()
        return try translating {
            try writer.write { db in
                try db.cachedStatement(
                    sql: """
                        DELETE FROM run WHERE id IN (
                            SELECT id FROM run WHERE scheduled_at < ? AND state NOT IN (\(Self.activeList)) LIMIT ?)
                        """
                ).execute(arguments: [cutoff.ledgerMilliseconds, batchSize])
                return db.changesCount
            }
        }
    }

    private func insert(
        _ slot: Slot, state: RunState, policy: ConcurrencyPolicy, trigger: Trigger, at now: Date,
        outcome: NeverRanOutcome? = nil
    ) throws(LedgerError) -> Run {
        guard JobName.isDNSLabel(slot.job) else { throw .invalidJobName(slot.job) }
        let writer = try requireWriter()
        var blockedBy: Int64?
        var reason: String?
        var finishedAt: Int64?
        switch outcome {
        case .skipped(let blocking)?:
            blockedBy = blocking.rawValue
            reason = "run \(blocking) was still active"
        case .missed(let why)?: reason = why
        case .suspended?: reason = "the job is suspended"
        case nil: break
        }
        if state.isTerminal { finishedAt = now.ledgerMilliseconds }
        return try translating {
            try writer.write { db in
                // Among runs recorded under forbid, the partial unique index alone refuses a second
                // active run. Runs recorded under an earlier allow/replace policy are outside that
                // index, and a forbidding intent must not overlap them either: that one is checked here.
                if policy == .forbid, state.isActive,
                    let blocking = try activeRunID(of: slot.job, in: db, recordedUnderForbid: false)
                {
                    throw LedgerError.jobHasActiveRun(job: slot.job, blocking: RunID(rawValue: blocking))
                }
                do {
                    try db.cachedStatement(
                        sql: """
                            INSERT INTO run (job, scheduled_at, trigger, policy, state, recorded_at, finished_at,
                                             blocked_by, reason, finished_by)
                            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                            """
                    ).execute(
                        arguments: [
                            slot.job, slot.scheduledAt.ledgerMilliseconds, trigger.rawValue, policy.rawValue,
                            state.rawValue, now.ledgerMilliseconds, finishedAt, blockedBy, reason,
                            state.isTerminal ? host : nil,
                        ]
                    )
                } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
                    // The schema refused the row; say which guarantee it was.
                    throw try explainRefusal(of: slot, in: db) ?? error
                }
                return Run(
                    id: RunID(rawValue: db.lastInsertedRowID),
                    slot: Slot(
                        job: slot.job, scheduledAt: Date(ledgerMilliseconds: slot.scheduledAt.ledgerMilliseconds)),
                    trigger: trigger, policy: policy, state: state,
                    recordedAt: Date(ledgerMilliseconds: now.ledgerMilliseconds),
                    finishedAt: finishedAt.map(Date.init(ledgerMilliseconds:)), reason: reason,
                    blockedBy: blockedBy.map(RunID.init(rawValue:)), finishedBy: state.isTerminal ? host : nil)
            }
        }
    }

    func explainRefusal(of slot: Slot, in db: Database) throws -> LedgerError? {
        if let existing = try Int64.fetchOne(
            db, sql: "SELECT id FROM run WHERE job = ? AND scheduled_at = ?",
            arguments: [slot.job, slot.scheduledAt.ledgerMilliseconds])
        {
            return .slotAlreadyRecorded(slot, existing: RunID(rawValue: existing))
        }
        if let blocking = try activeRunID(of: slot.job, in: db, recordedUnderForbid: true) {
            return .jobHasActiveRun(job: slot.job, blocking: RunID(rawValue: blocking))
        }
        return nil
    }

    func activeRunID(of job: String, in db: Database, recordedUnderForbid: Bool) throws -> Int64? {
        try Int64.fetchOne(
            db.cachedStatement(
                sql: """
                    SELECT id FROM run WHERE job = ? AND state IN (\(Self.activeList)) AND (policy = 'forbid') = ?
                    ORDER BY id LIMIT 1
                    """),
            arguments: [job, recordedUnderForbid])
    }

    func fetchRun(_ id: RunID, in db: Database) throws -> Run {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT \(try runColumns(in: db)) FROM run WHERE id = ?"), arguments: [id.rawValue])
        else { throw LedgerError.noSuchRun(id) }
        return try Run(row: row)
    }
}
