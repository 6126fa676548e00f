public import Foundation
public import RunModel

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
    /// The reason as a run store recorded it, in words.
    case recorded(String)

    public var description: String {
        switch self {
        case .pastStartingDeadline(let late): "it was \(late.formatted(.units(allowed: [.hours, .minutes, .seconds, .milliseconds], width: .narrow))) late, past the starting deadline"
        case .passedOver(let policy): "it was passed over and the catch-up policy is \(policy)"
        case .recorded(let text): text
        }
    }
}

/// Where a recorded slot stands, with what the scheduler knows of it: its outcome, or why it never
/// ran. Its ``state`` is the run's place in the state machine every module shares (`RunState`).
public enum RunStatus: Hashable, Sendable, Codable, CustomStringConvertible {
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

    /// The run's state: a started run is `started` (the scheduler does not tell `running` apart),
    /// a skipped slot of a suspended job is `suspended`.
    public var state: RunState {
        switch self {
        case .intended: .intended
        case .started: .started
        case .ended(.succeeded): .succeeded
        case .ended(.failed): .failed
        case .ended(.cancelled): .cancelled
        case .replaced: .replaced
        case .skipped(.suspended): .suspended
        case .skipped(.overlap): .skipped
        case .missed: .missed
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
    public var trigger: Trigger
    public var state: RunStatus
    /// Set once the executor has started the run.
    public var handle: RunHandle?
    /// When the run was started, and when it ended.
    public var startedAt: Date?
    public var endedAt: Date?
    /// A warning the executor reported about the run, for `status` (its pod ran outside Fargate).
    public var notice: String?

    public init(
        id: RunID, slot: Slot, trigger: Trigger, state: RunStatus, handle: RunHandle? = nil,
        startedAt: Date? = nil, endedAt: Date? = nil, notice: String? = nil
    ) {
        self.id = id
        self.slot = slot
        self.trigger = trigger
        self.state = state
        self.handle = handle
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.notice = notice
    }
}
