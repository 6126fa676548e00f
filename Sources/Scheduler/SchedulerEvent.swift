public import Foundation
public import RunModel

/// What happened in the scheduler, for the journal and for `STATUS=`: each maps to a run event
/// with its own `MESSAGE_ID`.
public enum SchedulerEvent: Hashable, Sendable {
    case started(Slot, run: RunID, trigger: Trigger, handle: RunHandle)
    case ended(Slot, run: RunID, outcome: RunOutcome)
    case replaced(Slot, run: RunID)
    case skipped(Slot, trigger: Trigger, reason: SkipReason)
    case missed(Slot, reason: MissReason)
    case adopted(Slot, run: RunID, handle: RunHandle)
    /// A run found at start-up that no executor could find again (the daemon died under it): it is
    /// recorded as failed, with the reason.
    case lost(Slot, run: RunID, reason: String)
    case reloaded(ReloadDiff)
}

/// How the daemon command hears from the scheduler (none of these may block).
public struct SchedulerHooks: Sendable {
    /// Called once the jobs and the run store are loaded and reconciled (`READY=1`).
    public var ready: @Sendable () -> Void
    /// Called from the loop at least this often (`WATCHDOG=1`), if set.
    public var heartbeat: (interval: Duration, beat: @Sendable () -> Void)?
    /// Called for every event, after it is recorded.
    public var event: @Sendable (SchedulerEvent) -> Void

    public init(
        ready: @escaping @Sendable () -> Void = {},
        heartbeat: (interval: Duration, beat: @Sendable () -> Void)? = nil,
        event: @escaping @Sendable (SchedulerEvent) -> Void = { _ in }
    ) {
        self.ready = ready
        self.heartbeat = heartbeat
        self.event = event
    }
}

/// What became of a manual trigger.
public enum TriggerResult: Hashable, Sendable, Codable, CustomStringConvertible {
    case started(RunID)
    case skipped(SkipReason)
    case unknownJob(String)
    case refused(String)

    public var description: String {
        switch self {
        case .started(let id): "started run \(id)"
        case .skipped(let reason): "skipped: \(reason)"
        case .unknownJob(let name): "no job named \(name)"
        case .refused(let why): "refused: \(why)"
        }
    }
}

/// A job as `fargate-cron status` shows it.
public struct JobStatus: Hashable, Sendable, Codable {
    public var name: String
    public var schedule: String
    public var zone: String
    public var nextFireDate: Date?
    public var isSuspended: Bool
    public var concurrency: ConcurrencyPolicy
    public var executor: ExecutorKind
    public var activeRuns: [RunID]
    public var lastRun: RunRecord?

    /// Creates a status row (the command line builds them from the ledger when the daemon is down).
    public init(
        name: String, schedule: String, zone: String, nextFireDate: Date?, isSuspended: Bool,
        concurrency: ConcurrencyPolicy, executor: ExecutorKind, activeRuns: [RunID], lastRun: RunRecord?
    ) {
        self.name = name
        self.schedule = schedule
        self.zone = zone
        self.nextFireDate = nextFireDate
        self.isSuspended = isSuspended
        self.concurrency = concurrency
        self.executor = executor
        self.activeRuns = activeRuns
        self.lastRun = lastRun
    }
}

