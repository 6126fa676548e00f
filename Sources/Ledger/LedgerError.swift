public import RunModel

/// Why the ledger refused or failed an operation. Each case says which guarantee or which
/// condition stopped it, and where.
public enum LedgerError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Once per slot: this (job, scheduled time) is already recorded, as `existing`.
    case slotAlreadyRecorded(Slot, existing: RunID)
    /// No overlap: under `forbid`, the job already has an active run, `blocking`.
    case jobHasActiveRun(job: String, blocking: RunID)
    /// The run's state machine does not allow this move.
    case transitionNotAllowed(RunID, from: RunState, to: RunState)
    case noSuchRun(RunID)
    /// An executor's report names a run that never ran (skipped, missed or suspended): it had no pod.
    case reportForRunThatNeverRan(RunID, state: RunState)
    case invalidJobName(String)
    /// Another process holds the state directory's writer lock (a second daemon).
    case stateDirectoryLocked(lockFile: String, holderPID: Int32?)
    /// The state directory cannot be created, written or locked; `errno` is the system's code.
    case stateDirectoryUnusable(path: String, operation: String, errno: Int32)
    /// There is no ledger to read yet (the daemon has never run with this state directory).
    case noLedger(path: String)
    /// The database file is not an SQLite database (it was replaced or overwritten).
    case notADatabase(path: String)
    /// `PRAGMA quick_check` reported problems.
    case integrityCheckFailed(path: String, problems: [String])
    /// The database was written by a newer fargate-cron; it is never downgraded.
    case schemaFromNewerVersion(path: String, found: Int, supported: Int)
    /// The file system holding the ledger is full; nothing was recorded by the failed operation.
    case diskFull(path: String)
    /// The ledger was opened for reading (`history`, `status`) and cannot record.
    case openedForReading
    /// Any other SQLite failure: its extended result code and message.
    case database(path: String, code: Int32, message: String)

    public var description: String {
        switch self {
        case .slotAlreadyRecorded(let slot, let existing):
            "slot \(slot) is already recorded as run \(existing) (once per slot)"
        case .jobHasActiveRun(let job, let blocking):
            "job \(job) already has an active run, \(blocking), and its policy forbids overlap"
        case .transitionNotAllowed(let run, let from, let to):
            "run \(run) cannot move from \(from) to \(to); from \(from) it may move to "
                + (from.allowedNextStates.isEmpty
                    ? "nothing (\(from) is terminal)"
                    : from.allowedNextStates.map(\.rawValue).sorted().joined(separator: ", "))
        case .noSuchRun(let run):
            "there is no run \(run) in the ledger"
        case .reportForRunThatNeverRan(let run, let state):
            "run \(run) is \(state) and never ran, so it has no pods to report on"
        case .invalidJobName(let name):
            "invalid job name \"\(name)\": expected 1 to 63 lowercase letters, digits and '-', "
                + "starting with a letter and ending with a letter or digit"
        case .stateDirectoryLocked(let lockFile, let pid):
            "another fargate-cron daemon "
                + (pid.map { "(pid \($0))" } ?? "(pid unknown)")
                + " is using this state directory: \(lockFile) is locked"
        case .stateDirectoryUnusable(let path, let operation, let code):
            "cannot use state directory \(path): \(operation) failed: \(String(cString: strerror(code)))"
        case .noLedger(let path):
            "no ledger at \(path): the daemon has not run with this state directory yet"
        case .notADatabase(let path):
            "\(path) is not an SQLite database (was it replaced?); it was left untouched"
        case .integrityCheckFailed(let path, let problems):
            "\(path) failed its integrity check: " + problems.prefix(5).joined(separator: "; ")
        case .schemaFromNewerVersion(let path, let found, let supported):
            "\(path) has ledger schema version \(found), newer than the \(supported) this fargate-cron "
                + "knows; refusing to open it (it is never downgraded): run a newer fargate-cron"
        case .diskFull(let path):
            "the file system holding \(path) is full; the last change was not recorded"
        case .openedForReading:
            "the ledger was opened for reading and cannot record"
        case .database(let path, let code, let message):
            "SQLite error \(code) on \(path): \(message)"
        }
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
