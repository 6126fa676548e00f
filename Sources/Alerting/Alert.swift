public import Foundation
public import RunModel
public import Schedules

/// Something about a job that a person should hear of: a run that failed, was lost or could not
/// start (cron's failure mail, systemd's `OnFailure=`), a run that ended otherwise (for
/// `CRON_MAIL=always`), or a job that has not succeeded for too long and its recovery.
///
/// It carries everything the mail and the failure hook tell; the daemon fills it from the run and
/// the ledger.
public struct Alert: Hashable, Sendable {
    /// What happened.
    public enum Kind: String, Hashable, Sendable, CaseIterable {
        /// The run ended with a failure of its own (a non-zero exit, a signal, a timeout, OOM).
        case failed
        /// The run was lost: nothing of it could be found after a restart.
        case lost
        /// The run could not be started (the executor refused or the start failed).
        case notStarted = "not-started"
        /// The run succeeded (mailed only under `CRON_MAIL=always`).
        case succeeded
        /// The run was stopped on purpose (a shutdown, a replace); not a failure.
        case cancelled
        /// The job has not succeeded within its `CRON_ALERT_AFTER`.
        case overdue
        /// An overdue job succeeded again.
        case recovered

        /// Whether it is a failure in the sense of `CRON_MAIL=failure` and `CRON_ON_FAILURE`.
        public var isFailure: Bool {
            switch self {
            case .failed, .lost, .notStarted, .overdue: true
            case .succeeded, .cancelled, .recovered: false
            }
        }

        /// The words a subject line uses.
        public var summary: String {
            switch self {
            case .failed: "failed"
            case .lost: "lost"
            case .notStarted: "could not start"
            case .succeeded: "succeeded"
            case .cancelled: "cancelled"
            case .overdue: "overdue"
            case .recovered: "recovered"
            }
        }
    }

    /// What happened.
    public var kind: Kind
    /// The job's name.
    public var job: String
    /// The run (not for ``Kind/overdue``, which is about the job).
    public var run: RunID?
    /// The run's slot (`CRON_SCHEDULED_AT`).
    public var scheduledAt: Date?
    /// Why the run was asked for.
    public var trigger: Trigger?
    /// Which executor ran it.
    public var executor: ExecutorKind?
    /// The job's command.
    public var command: String
    /// The exit code, when the command has one.
    public var exitCode: Int32?
    /// Why, in words (`exited with status 2`, `no success for 1d 2h`).
    public var reason: String
    /// When the run started and ended.
    public var startedAt: Date?
    public var endedAt: Date?
    /// The job's last success, for ``Kind/overdue`` and ``Kind/recovered``.
    public var lastSuccess: Date?
    /// The last lines of the run's output.
    public var output: OutputTail?
    /// The command a person types to read the whole output (it names the state folder when that
    /// is not the default, so that it reads this daemon's entries).
    public var logsCommand: String?

    /// An alert; give every field that is known.
    public init(
        _ kind: Kind, job: String, run: RunID? = nil, scheduledAt: Date? = nil, trigger: Trigger? = nil,
        executor: ExecutorKind? = nil, command: String, exitCode: Int32? = nil, reason: String,
        startedAt: Date? = nil, endedAt: Date? = nil, lastSuccess: Date? = nil, output: OutputTail? = nil,
        logsCommand: String? = nil
    ) {
        self.kind = kind
        self.job = job
        self.run = run
        self.scheduledAt = scheduledAt
        self.trigger = trigger
        self.executor = executor
        self.command = command
        self.exitCode = exitCode
        self.reason = reason
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.lastSuccess = lastSuccess
        self.output = output
        self.logsCommand = logsCommand
    }
}

extension MailPolicy {
    /// Whether an alert of `kind` is mailed under this policy.
    public func mails(_ kind: Alert.Kind) -> Bool {
        switch self {
        case .never: false
        case .always: true
        // A recovery ends an overdue episode a person was told of: they hear of its end too.
        case .failure: kind.isFailure || kind == .recovered
        }
    }
}
