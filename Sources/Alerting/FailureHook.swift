import Foundation
import RunModel
import Scheduler

/// `CRON_ON_FAILURE=command`: a host command run after a failed, lost or unstartable run and when
/// a job becomes overdue, as systemd's `OnFailure=` starts a unit. It gets the run's fields in its
/// environment and the run's output tail on its standard input; it is stopped at its bound, and
/// its own failure is reported by the caller, never retried.
public struct FailureHook: Hashable, Sendable {
    /// The command line, run by `/bin/sh -c`.
    public var command: String
    /// How long it may run before it is stopped.
    public var timeout: Duration
    /// How long after SIGTERM it gets SIGKILL.
    public var stopGrace: Duration

    /// - Parameters:
    ///   - command: the command line (`CRON_ON_FAILURE`).
    ///   - timeout: how long it may run (`CRON_ON_FAILURE_TIMEOUT`).
    ///   - stopGrace: how long after SIGTERM it gets SIGKILL.
    public init(command: String, timeout: Duration, stopGrace: Duration = .seconds(2)) {
        self.command = command
        self.timeout = timeout
        self.stopGrace = stopGrace
    }

    /// The environment the hook sees: `base` (the daemon's `PATH`, `HOME`, … as a local job gets
    /// them) and the alert's fields. A field the alert does not have is absent, not empty: a run
    /// that never started has no `EXIT_CODE`; an overdue job has no `CRON_RUN_ID`.
    public static func environment(for alert: Alert, base: [String: String]) -> [String: String] {
        var environment = base
        environment[HookVariable.job] = alert.job
        environment[HookVariable.event] = alert.kind.rawValue
        environment[HookVariable.reason] = MailMessage.headerSafe(alert.reason)
        environment[HookVariable.runID] = alert.run?.description
        environment[HookVariable.scheduledAt] = alert.scheduledAt.map(MailMessage.timestamp)
        environment[HookVariable.exitCode] = alert.exitCode.map { String($0) }
        environment[HookVariable.executor] = alert.executor?.rawValue
        environment[HookVariable.lastSuccess] = alert.lastSuccess.map(MailMessage.timestamp)
        return environment
    }

    /// Runs the hook for `alert`.
    /// - Parameter base: the environment before the alert's fields.
    /// - Returns: how it went (a failure or a timeout is for the caller to report).
    /// - Throws: `HostCommandError` when it cannot be started.
    public func run(for alert: Alert, base: [String: String]) async throws(HostCommandError) -> HostCommand.Result {
        try await HostCommand(
            command: command, environment: Self.environment(for: alert, base: base),
            input: alert.output?.bytes ?? [], timeout: timeout, stopGrace: stopGrace
        ).run()
    }
}

/// The names of the variables a failure hook gets (a contract: hooks read them).
public enum HookVariable {
    /// The job's name.
    public static let job = "CRON_JOB"
    /// The run's id (absent for an overdue job).
    public static let runID = "CRON_RUN_ID"
    /// The run's slot, ISO 8601 in UTC.
    public static let scheduledAt = "CRON_SCHEDULED_AT"
    /// Why, in words.
    public static let reason = "CRON_REASON"
    /// The command's exit code, when it has one.
    public static let exitCode = "EXIT_CODE"
    /// What happened: `failed`, `lost`, `not-started` or `overdue`.
    public static let event = "CRON_EVENT"
    /// The executor that ran it.
    public static let executor = "CRON_EXECUTOR"
    /// The job's last success (overdue jobs), ISO 8601 in UTC.
    public static let lastSuccess = "CRON_LAST_SUCCESS"
}
