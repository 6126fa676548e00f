public import Foundation

/// One fire time of one job: the unit that is recorded, and started, at most once.
public struct Slot: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The job's name.
    public var job: String
    /// The instant the slot is for (for a manual trigger, the instant it was asked for).
    public var scheduledAt: Date
    public init(job: String, scheduledAt: Date) {
        self.job = job
        self.scheduledAt = scheduledAt
    }
    public var description: String { "\(job)@\(scheduledAt.formatted(.iso8601))" }
}

/// The run store's identifier of a recorded slot.
public struct RunID: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public var rawValue: Int64
    public init(rawValue: Int64) { self.rawValue = rawValue }
    public var description: String { String(rawValue) }
}

/// Why a run was asked for.
public enum RunTrigger: String, Hashable, Sendable, Codable {
    /// Its slot came, on time.
    case scheduled
    /// Its slot was passed over (downtime, a clock jump) and the catch-up policy started it late.
    case catchUp
    /// Someone ran `fargate-cron trigger`.
    case manual
    /// An `@reboot` job, at the daemon's start.
    case reboot
}

/// What an executor needs to find a run again: after a restart, to adopt it, or to cancel it.
public struct RunHandle: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The executor that started the run.
    public var executor: ExecutorKind
    /// The executor's own reference (a process id and start time, a Kubernetes Job name).
    public var reference: String
    public init(executor: ExecutorKind, reference: String) {
        self.executor = executor
        self.reference = reference
    }
    public var description: String { "\(executor):\(reference)" }
}

/// How a run ended.
public enum RunOutcome: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The command exited with status 0.
    case succeeded
    /// The command failed: its exit status when it has one, and why, in words.
    case failed(exitCode: Int32?, reason: String)
    /// The run was stopped on purpose (a shutdown, a user).
    case cancelled(reason: String)

    public var description: String {
        switch self {
        case .succeeded: "succeeded"
        case .failed(_, let reason): "failed: \(reason)"
        case .cancelled(let reason): "cancelled: \(reason)"
        }
    }
}

/// Why a slot was not started although it came in time.
public enum SkipReason: Hashable, Sendable, Codable, CustomStringConvertible {
    /// A run of the job was active under `forbid` (the blocking run, once it is recorded).
    case overlap(blocking: RunID?)
    /// The job is suspended.
    case suspended

    public var description: String {
        switch self {
        case .overlap(let blocking?): "run \(blocking) was still active"
        case .overlap(nil): "a run was still starting"
        case .suspended: "the job is suspended"
        }
    }
}

/// Why a slot was never started.
public enum MissReason: Hashable, Sendable, Codable, CustomStringConvertible {
    /// It could only have been started later than the job's starting deadline.
    case pastStartingDeadline(lateBy: Duration)
    /// It was passed over (the daemon was down, or the clock jumped) and the catch-up policy did not start it.
    case passedOver(CatchUpPolicy)

    public var description: String {
        switch self {
        case .pastStartingDeadline(let late): "it was \(late.formatted(.units(allowed: [.hours, .minutes, .seconds, .milliseconds], width: .narrow))) late, past the starting deadline"
        case .passedOver(let policy): "it was passed over and the catch-up policy is \(policy)"
        }
    }
}

/// Where a recorded slot stands.
public enum RunState: Hashable, Sendable, Codable, CustomStringConvertible {
    /// Recorded, not yet started (the intent is written before the executor is called).
    case intended
    /// Started by its executor.
    case started
    /// Ended as the outcome says.
    case ended(RunOutcome)
    /// Cancelled to make way for a newer slot under `replace`.
    case replaced
    /// Never started, though it came in time.
    case skipped(SkipReason)
    /// Never started: passed over or too late.
    case missed(MissReason)

    /// Whether nothing more will happen to the run.
    public var isTerminal: Bool {
        switch self {
        case .intended, .started: false
        case .ended, .replaced, .skipped, .missed: true
        }
    }

    public var description: String {
        switch self {
        case .intended: "intended"
        case .started: "started"
        case .ended(let outcome): outcome.description
        case .replaced: "replaced"
        case .skipped(let reason): "skipped: \(reason)"
        case .missed(let reason): "missed: \(reason)"
        }
    }
}

/// A slot as the run store has it.
public struct RunRecord: Hashable, Sendable, Codable {
    public var id: RunID
    public var slot: Slot
    public var trigger: RunTrigger
    public var state: RunState
    /// Set once the executor has started the run.
    public var handle: RunHandle?
    /// When the run was started, and when it ended.
    public var startedAt: Date?
    public var endedAt: Date?

    public init(
        id: RunID, slot: Slot, trigger: RunTrigger, state: RunState, handle: RunHandle? = nil,
        startedAt: Date? = nil, endedAt: Date? = nil
    ) {
        self.id = id
        self.slot = slot
        self.trigger = trigger
        self.state = state
        self.handle = handle
        self.startedAt = startedAt
        self.endedAt = endedAt
    }
}
