import RunModel
public import ECS
public import Foundation
public import Scheduler

/// Why fargate-cron stopped a task itself.
public enum StopCause: Hashable, Sendable {
    /// The scheduler cancelled the run (`replace`, a user); the reason is the scheduler's.
    case cancelled(String)
    /// It ran longer than `CRON_TIMEOUT`.
    case timedOut(after: Duration)
    /// It stayed PROVISIONING or PENDING longer than `CRON_PENDING_TIMEOUT`.
    case stuckStarting(after: Duration, status: String)

    /// What StopTask is told (the task's `stoppedReason`).
    public var reason: String {
        switch self {
        case .cancelled(let reason): "fargate-cron: \(reason)"
        case .timedOut(let limit): "fargate-cron: ran longer than its timeout of \(TaskRun.format(limit)) (CRON_TIMEOUT)"
        case .stuckStarting(let limit, let status):
            "fargate-cron: still \(status) after \(TaskRun.format(limit)) (CRON_PENDING_TIMEOUT)"
        }
    }
}

/// Whose a failed ECS run's failure was.
public enum ECSFailureCause: Hashable, Sendable {
    /// The command exited non-zero.
    case exitStatus
    /// ECS stopped the container for using more memory than it had.
    case outOfMemory
    /// It ran past `CRON_TIMEOUT` and was stopped.
    case timedOut
    /// It stayed PROVISIONING or PENDING past `CRON_PENDING_TIMEOUT` and was stopped.
    case stuckStarting
    /// ECS never ran it, took it away (Spot), or lost it.
    case platform
}

/// One followed task's state and the decisions about it: when to stop it, when to read its logs,
/// and how its run ended. Pure: the poller feeds it what ECS and CloudWatch Logs said and the time,
/// and performs the actions it returns.
public struct TaskRun: Sendable {
    /// What the poller does next for this run.
    public enum Action: Hashable, Sendable {
        /// StopTask with this reason.
        case stop(reason: String)
        /// Read the next page(s) of the task's log stream.
        case readLogs
        /// The run is over.
        case finish(RunOutcome)
    }

    /// When the run began: RunTask's answer, or the task's `createdAt` for an adopted task. The
    /// timeout and the pending timeout count from here.
    public let origin: Date
    public let timeout: Duration?
    public let pendingTimeout: Duration
    /// The container whose exit code is the run's.
    public let container: String
    /// Whether the task has a log stream to read.
    public let hasLogs: Bool
    /// How long after the task stopped its stream is still read for late batches: the awslogs driver
    /// sends in batches, and CloudWatch Logs shows an event a moment after it arrives.
    public let logSettle: Duration
    /// How long ECS may not know the task before the run is lost (ECS is eventually consistent just
    /// after RunTask, and forgets stopped tasks after about an hour).
    public let missingGrace: Duration

    /// The last description.
    public private(set) var task: ECSTask?
    public private(set) var missingSince: Date?
    public private(set) var stop: StopCause?
    public private(set) var stopDelivered = false
    public private(set) var stoppedSeenAt: Date?
    public private(set) var logsDrained = false
    public private(set) var outcome: RunOutcome?

    /// A run that began at `origin`.
    public init(
        origin: Date, timeout: Duration?, pendingTimeout: Duration, container: String, hasLogs: Bool, logSettle: Duration,
        missingGrace: Duration, task: ECSTask? = nil
    ) {
        self.origin = origin
        self.timeout = timeout
        self.pendingTimeout = pendingTimeout
        self.container = container
        self.hasLogs = hasLogs
        self.logSettle = logSettle
        self.missingGrace = missingGrace
        self.task = task
    }

    /// Whether the run has ended.
    public var isFinished: Bool { outcome != nil }

    /// The scheduler asks the run to stop (a cancel counts once; a stop already decided stays).
    public mutating func cancel(reason: String) {
        if stop == nil, outcome == nil, task?.isStopped != true { stop = .cancelled(reason) }
    }

    /// DescribeTasks answered: the task as ECS has it, or `nil` when ECS did not know it (MISSING).
    public mutating func observe(_ described: ECSTask?, now: Date) {
        if let described {
            task = described
            missingSince = nil
        } else if missingSince == nil {
            missingSince = now
        }
        if task?.isStopped == true, stoppedSeenAt == nil { stoppedSeenAt = now }
    }

    /// StopTask went through.
    public mutating func stopWasDelivered() { stopDelivered = true }

    /// A read of the log stream that began at `startedAt` has reached its end; `foundEvents` says
    /// whether it brought new lines. The stream is drained once a read that began `logSettle` after
    /// the task stopped finds nothing new.
    public mutating func logsRead(foundEvents: Bool, startedAt: Date) {
        guard let stoppedSeenAt, !foundEvents, startedAt >= stoppedSeenAt.addingTimeInterval(logSettle.timeInterval) else { return }
        logsDrained = true
    }

    /// What to do now.
    public mutating func next(now: Date) -> [Action] {
        guard outcome == nil else { return [] }
        if let missingSince, now.timeIntervalSince(missingSince) >= missingGrace.timeInterval {
            let lost = RunOutcome.failed(exitCode: nil, reason: "its task is not known to ECS (MISSING for \(Self.format(missingGrace)))")
            outcome = lost
            return [.finish(lost)]
        }
        guard let task else { return stopAction() }
        if !task.isStopped {
            if stop == nil {
                let age = now.timeIntervalSince(origin)
                if task.isStarting, age >= pendingTimeout.timeInterval {
                    stop = .stuckStarting(after: pendingTimeout, status: task.lastStatus ?? "PROVISIONING")
                } else if let timeout, age >= timeout.timeInterval {
                    stop = .timedOut(after: timeout)
                }
            }
            return stopAction() + (hasLogs && !task.isStarting ? [.readLogs] : [])
        }
        if hasLogs && !logsDrained { return [.readLogs] }
        let ended = Self.outcome(of: task, container: container, stop: stop)
        outcome = ended
        return [.finish(ended)]
    }

    private func stopAction() -> [Action] {
        guard let stop, !stopDelivered else { return [] }
        return [.stop(reason: stop.reason)]
    }

    /// How a stopped task's run ended.
    /// - Parameters:
    ///   - container: the job's container (its exit code is the run's).
    ///   - stop: why fargate-cron stopped it, if it did.
    public static func outcome(of task: ECSTask, container: String, stop: StopCause?) -> RunOutcome {
        let described = task.container(named: container) ?? task.containers?.first
        let exitCode = described?.exitCode
        // What ECS said, without repeating our own StopTask reason back.
        let ecsReasons = [task.stoppedReason.flatMap { $0.hasPrefix("fargate-cron: ") || $0.isEmpty ? nil : $0 },
                          described?.reason.flatMap { $0.isEmpty ? nil : $0 }].compactMap { $0 }
        let said = ecsReasons.isEmpty ? "" : ": " + ecsReasons.joined(separator: "; ")
        let stoppedByUs = task.stopCode == "UserInitiated" || task.stoppedReason?.hasPrefix("fargate-cron: ") == true
        switch stop {
        case .cancelled(let reason)?:
            return .cancelled(reason: reason)
        case .timedOut(let limit)? where stoppedByUs:
            return .failed(exitCode: exitCode, reason: "timed out after \(format(limit)) (CRON_TIMEOUT): its task was stopped")
        case .stuckStarting(let limit, let status)? where stoppedByUs:
            return .failed(exitCode: nil, reason: "stuck \(status) for \(format(limit)) (CRON_PENDING_TIMEOUT): its task was stopped\(said)")
        default:
            break
        }
        if let exitCode {
            if exitCode == 0 { return .succeeded }
            return .failed(exitCode: exitCode, reason: "exited with code \(exitCode)\(said)")
        }
        // No exit code: the task never ran its command, or Fargate took it away.
        return .failed(exitCode: nil, reason: "platform failure: \(task.stopCode ?? "the task stopped")\(said)")
    }

    /// Whose a failed run's failure was, for the ledger: `nil` for a run that succeeded or was cancelled.
    public static func failureCause(of task: ECSTask?, container: String, stop: StopCause?) -> ECSFailureCause? {
        guard let task else { return .platform }  // lost: ECS no longer knows it
        if case .cancelled = stop { return nil }
        let described = task.container(named: container) ?? task.containers?.first
        let stoppedByUs = task.stopCode == "UserInitiated" || task.stoppedReason?.hasPrefix("fargate-cron: ") == true
        switch stop {
        case .timedOut? where stoppedByUs: return .timedOut
        case .stuckStarting? where stoppedByUs: return .stuckStarting
        default: break
        }
        guard let code = described?.exitCode else { return .platform }
        if code == 0 { return nil }
        // ECS says so in the container's reason: "OutOfMemoryError: Container killed due to memory usage".
        return described?.reason?.hasPrefix("OutOfMemoryError") == true ? .outOfMemory : .exitStatus
    }

    /// `5m`, `1h30m`, `90s`, `500ms`.
    static func format(_ duration: Duration) -> String {
        duration.formatted(.units(allowed: [.hours, .minutes, .seconds, .milliseconds], width: .narrow))
    }
}

extension Duration {
    var timeInterval: TimeInterval { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
