public import Foundation
import GRDB
public import RunModel

/// One slot's intent in a batch (``RunLedger/recordIntents(_:at:)``).
public struct IntentRequest: Hashable, Sendable {
    public var slot: Slot
    /// The job's concurrency policy; under `forbid` the job must have no active run.
    public var policy: ConcurrencyPolicy
    public var trigger: Trigger

    public init(slot: Slot, policy: ConcurrencyPolicy, trigger: Trigger = .scheduled) {
        self.slot = slot
        self.policy = policy
        self.trigger = trigger
    }
}

/// One run's `started` event in a batch (``RunLedger/recordStarts(_:)``).
public struct StartRecord: Hashable, Sendable {
    public var run: RunID
    /// Which executor started the run, and what finds it again.
    public var handle: RunHandle
    /// When the executor started the run.
    public var startedAt: Date

    public init(run: RunID, handle: RunHandle, startedAt: Date) {
        self.run = run
        self.handle = handle
        self.startedAt = startedAt
    }
}

extension RunLedger {
    /// Records the intents of a herd of slots (all due at one instant) in one transaction: one
    /// commit and one `fsync` for all of them instead of one each, before any of them is started.
    ///
    /// Every guarantee of ``recordIntent(for:policy:trigger:at:)`` holds per slot, and in order: a
    /// slot already on record is refused, and so is a `forbid` slot whose job has an active run,
    /// including one recorded earlier in the same batch. A refusal is that slot's result; the
    /// others are still recorded (each slot is inserted under its own savepoint).
    ///
    /// - Parameters:
    ///   - intents: the slots, in the order they are to be recorded.
    ///   - now: the time of recording.
    /// - Returns: one result per intent, in order: the new run, or
    ///   ``LedgerError/slotAlreadyRecorded(_:existing:)``, ``LedgerError/jobHasActiveRun(job:blocking:)``
    ///   or ``LedgerError/invalidJobName(_:)``.
    /// - Throws: when the transaction itself fails (``LedgerError/diskFull(path:)``, an I/O error):
    ///   then nothing of the batch is recorded.
    public func recordIntents(_ intents: [IntentRequest], at now: Date) throws(LedgerError) -> [Result<Run, LedgerError>] {
        guard !intents.isEmpty else { return [] }
        let writer = try requireWriter()
        return try translating {
            try writer.write { db in
                var results: [Result<Run, LedgerError>] = []
                results.reserveCapacity(intents.count)
                for intent in intents {
                    do {
                        var run: Run?
                        try db.inSavepoint {
                            run = try insertIntent(intent, at: now, in: db)
                            return .commit
                        }
                        guard let run else { preconditionFailure("a committed savepoint inserted no run") }
                        results.append(.success(run))
                    } catch let refusal as LedgerError {
                        results.append(.failure(refusal))
                    }
                    // Any other error (the disk, SQLite itself) fails the whole transaction.
                }
                return results
            }
        }
    }

    /// Records the `started` events of several runs in one transaction (one `fsync`).
    ///
    /// Each run must be `intended`, as for ``record(_:for:at:)`` with ``RunEvent/started(_:)``.
    /// - Returns: one result per start, in order: the run as it is now, or
    ///   ``LedgerError/transitionNotAllowed(_:from:to:)`` or ``LedgerError/noSuchRun(_:)`` for that run alone.
    /// - Throws: when the transaction itself fails: then none of the starts is recorded.
    public func recordStarts(_ starts: [StartRecord]) throws(LedgerError) -> [Result<Run, LedgerError>] {
        guard !starts.isEmpty else { return [] }
        let writer = try requireWriter()
        let predecessors = RunState.allCases.filter { $0.canMove(to: .started) }.map { "'\($0.rawValue)'" }
        return try translating {
            try writer.write { db in
                let update = try db.cachedStatement(
                    sql: """
                        UPDATE run SET state = '\(RunState.started.rawValue)', created_at = ?, executor = ?,
                                       handle = ?, handle_uid = ?, started_by = ?
                        WHERE id = ? AND state IN (\(predecessors.joined(separator: ", ")))
                        RETURNING \(Run.columns)
                        """)
                var results: [Result<Run, LedgerError>] = []
                results.reserveCapacity(starts.count)
                for start in starts {
                    let arguments: StatementArguments = [
                        start.startedAt.ledgerMilliseconds, start.handle.executor.rawValue, start.handle.reference,
                        start.handle.uid, host, start.run.rawValue,
                    ]
                    if let row = try Row.fetchOne(update, arguments: arguments) {
                        results.append(.success(try Run(row: row)))
                        continue
                    }
                    do {
                        let run = try fetchRun(start.run, in: db)
                        results.append(.failure(.transitionNotAllowed(start.run, from: run.state, to: .started)))
                    } catch let error as LedgerError {
                        results.append(.failure(error))
                    }
                }
                return results
            }
        }
    }

    /// Inserts one intent inside the caller's transaction, with the checks of a single intent.
    private func insertIntent(_ intent: IntentRequest, at now: Date, in db: Database) throws -> Run {
        let slot = intent.slot
        guard JobName.isDNSLabel(slot.job) else { throw LedgerError.invalidJobName(slot.job) }
        // As for a single intent: the partial unique index refuses a second active run among runs
        // recorded under forbid; one recorded under an earlier allow/replace policy is checked here.
        if intent.policy == .forbid,
            let blocking = try activeRunID(of: slot.job, in: db, recordedUnderForbid: false)
        {
            throw LedgerError.jobHasActiveRun(job: slot.job, blocking: RunID(rawValue: blocking))
        }
        do {
            try db.cachedStatement(
                sql: """
                    INSERT INTO run (job, scheduled_at, trigger, policy, state, recorded_at)
                    VALUES (?, ?, ?, ?, '\(RunState.intended.rawValue)', ?)
                    """
            ).execute(
                arguments: [
                    slot.job, slot.scheduledAt.ledgerMilliseconds, intent.trigger.rawValue, intent.policy.rawValue,
                    now.ledgerMilliseconds,
                ])
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
            throw try explainRefusal(of: slot, in: db) ?? error
        }
        return Run(
            id: RunID(rawValue: db.lastInsertedRowID),
            slot: Slot(job: slot.job, scheduledAt: Date(ledgerMilliseconds: slot.scheduledAt.ledgerMilliseconds)),
            trigger: intent.trigger, policy: intent.policy, state: .intended,
            recordedAt: Date(ledgerMilliseconds: now.ledgerMilliseconds))
    }
}
