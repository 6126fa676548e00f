import Alerting
import ArgumentParser
import CronExpression
import Foundation
import Glibc
import Daemon
import Ledger
import RunModel
import Scheduler
import Schedules

/// `fargate-cron status`: each job, its next fire time, its active runs and its last result; from
/// the running daemon, or from the schedule files and the ledger when the daemon is down.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show each job's next fire time, active run and last result.",
        discussion: """
            Asks the running daemon; when none answers, reads the schedule files and the ledger instead. \
            With JOB, shows that job alone, with its last success, last failure and, when it sets \
            CRON_ALERT_AFTER, whether it is overdue (from the ledger and the schedule files).
            """)

    @Argument(help: "Only this job, in detail.")
    var job: String?

    @OptionGroup var state: StateOptions

    @Option(help: "The schedule folder, read when the daemon is down (default: $FARGATE_CRON_CRONTABS, else crontabs).")
    var crontabs: String?

    @Flag(help: "Print one JSON object.")
    var json = false

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let path = state.controlSocket(in: environment)
        let jobs: [JobStatus]
        let daemonRunning: Bool
        var finishedPods: [String]?
        var leadership: String?
        do {
            let response = try ControlClient.send(.status, to: path)
            guard response.ok, let listed = response.jobs else {
                throw ValidationError("the daemon refused: \(response.error ?? "no answer")")
            }
            (jobs, daemonRunning, finishedPods, leadership) = (listed, true, response.finishedPods, response.leadership)
        } catch let error as ControlSocketError where error.call == "connect" && [ENOENT, ECONNREFUSED].contains(error.code) {
            jobs = try statusFromFiles(environment: environment)
            daemonRunning = false
        }
        var shown = jobs
        if let job {
            shown = jobs.filter { $0.name == job }
            guard !shown.isEmpty else {
                FileHandle.standardError.write(Data("fargate-cron: no job named \(job)\n".utf8))
                throw ExitCode.failure
            }
        }
        let alerting = try JobAlertState.read(
            for: shown.map(\.name), stateDirectory: state.resolved(in: environment),
            crontabs: crontabs ?? environment["FARGATE_CRON_CRONTABS"] ?? "crontabs", now: Date())
        let report = StatusReport(daemonRunning: daemonRunning, jobs: shown, finishedPods: job == nil ? finishedPods : nil, alerting: alerting,
            leadership: leadership)
        if json {
            print(try report.json())
        } else {
            print(job == nil ? report.text : report.detail)
        }
    }

    /// The status as the files say: the schedule folder for jobs and next fire times, the ledger for runs.
    private func statusFromFiles(environment: [String: String]) throws -> [JobStatus] {
        let folder = crontabs ?? environment["FARGATE_CRON_CRONTABS"] ?? "crontabs"
        let loaded = ScheduleLoader.load(paths: [folder])
        var ledger: RunLedger?
        do { ledger = try RunLedger.openForReading(stateDirectory: state.resolved(in: environment)) } catch {
            // No ledger yet: the daemon never ran with this state folder, so there are no runs to show.
            guard case .noLedger = error else { throw error }
        }
        let now = Date()
        return try loaded.schedules.jobs.sorted { $0.name < $1.name }.map { spec in
            let job = ScheduledJob(spec)
            return JobStatus(
                name: job.name, schedule: spec.schedule.description, zone: job.zone.identifier,
                nextFireDate: spec.schedule.nextFireDate(after: now, in: job.zone), isSuspended: job.isSuspended,
                concurrency: job.concurrency, executor: job.executor,
                activeRuns: try ledger?.activeRuns().filter { $0.job == job.name }.map { RunRecord($0).id } ?? [],
                lastRun: try ledger?.lastRun(of: job.name).map(RunRecord.init))
        }
    }
}

/// What `status` prints.
struct StatusReport {
    var daemonRunning: Bool
    var jobs: [JobStatus]
    /// Finished pods of ours still in the cluster, as the daemon listed them; `nil` when it has no cluster.
    var finishedPods: [String]? = nil
    /// Each job's last success and failure and overdue state, by name.
    var alerting: [String: JobAlertState] = [:]

    /// One job in detail, a field a line.
    var detail: String {
        guard let job = jobs.first else { return "" }
        let state = alerting[job.name]
        func time(_ date: Date) -> String { date.formatted(.iso8601) }
        let next: String = job.isSuspended ? "suspended" : job.nextFireDate.map(time) ?? "never"
        let active: String = job.activeRuns.isEmpty ? "none" : job.activeRuns.map { "run \($0)" }.joined(separator: ", ")
        var last = "never ran"
        if let run = job.lastRun { last = "run \(run.id) at \(time(run.slot.scheduledAt)): \(run.state)" + (run.notice.map { ", \($0)" } ?? "") }
        var success = "none"
        if let run = state?.lastSuccess { success = "run \(run.id) at \(time(run.at))" }
        var lines: [String] = []
        let running = "running" + (leadership.map { " (\($0))" } ?? "")
        lines.append("daemon: " + (daemonRunning ? running : "not running (from the schedule files and the ledger)"))
        lines.append("job:          \(job.name)")
        lines.append("schedule:     \(job.schedule) (\(job.zone))")
        lines.append("executor:     \(job.executor)")
        lines.append("next:         " + next)
        lines.append("active:       " + active)
        lines.append("last run:     " + last)
        lines.append("last success: " + success)
        var failureText = "none"
        if let failure = state?.lastFailure {
            failureText = "run \(failure.id) at \(time(failure.at))"
            if let code = failure.exitCode { failureText += ", exit code \(code)" }
            if let reason = failure.reason { failureText += ": \(reason)" }
        }
        lines.append("last failure: " + failureText)
        lines.append("overdue:      " + (state?.overdueText ?? "not watched (no CRON_ALERT_AFTER)"))
        return lines.joined(separator: "\n")
    }
    /// With several hosts: `leader`, or `standby, leader HOST`, as the daemon said.
    var leadership: String? = nil

    var text: String {
        let running = "running" + (leadership.map { " (\($0))" } ?? "")
        var lines = ["daemon: \(daemonRunning ? running : "not running (from the schedule files and the ledger)")"]
        for job in jobs {
            let next = job.isSuspended ? "suspended" : job.nextFireDate.map { $0.formatted(.iso8601) } ?? "never"
            let active = job.activeRuns.isEmpty ? "idle" : "active: run " + job.activeRuns.map(\.description).joined(separator: ", ")
            let last = job.lastRun.map { "last: run \($0.id) at \($0.slot.scheduledAt.formatted(.iso8601)) \($0.state)" + ($0.notice.map { ", \($0)" } ?? "") } ?? "never ran"
            let overdue = alerting[job.name]?.overdueSince.map { "\tOVERDUE since \($0.formatted(.iso8601))" } ?? ""
            lines.append("\(job.name)\t\(job.schedule)\tnext \(next)\t\(active)\t\(last)\(overdue)")
        }
        if let finishedPods {
            lines.append(finishedPods.isEmpty ? "finished pods still in the cluster: none" : "finished pods still in the cluster (billed until deleted):")
            lines += finishedPods.map { "  \($0)" }
        }
        return lines.joined(separator: "\n")
    }

    func json() throws -> String {
        let jobs: [[String: Any]] = jobs.map { job in
            var object: [String: Any] = [
                "name": job.name, "schedule": job.schedule, "zone": job.zone, "suspended": job.isSuspended,
                "concurrency": job.concurrency.rawValue, "executor": job.executor.rawValue,
                "activeRuns": job.activeRuns.map(\.rawValue),
            ]
            object["next"] = job.nextFireDate.map { $0.formatted(.iso8601) } ?? NSNull()
            let state = alerting[job.name]
            object["lastSuccess"] = state?.lastSuccess.map { ["run": $0.id.rawValue, "at": $0.at.formatted(.iso8601)] } ?? NSNull()
            object["lastFailure"] =
                state?.lastFailure.map { failure -> [String: Any] in
                    ["run": failure.id.rawValue, "at": failure.at.formatted(.iso8601), "exitCode": failure.exitCode.map { Int($0) } ?? NSNull(),
                     "reason": failure.reason ?? NSNull()]
                } ?? NSNull()
            object["overdue"] = state?.window == nil ? NSNull() : (state?.overdueSince != nil)
            object["overdueSince"] = state?.overdueSince.map { $0.formatted(.iso8601) } ?? NSNull()
            object["lastRun"] =
                job.lastRun.map { run -> [String: Any] in
                    ["run": run.id.rawValue, "scheduledAt": run.slot.scheduledAt.formatted(.iso8601), "state": run.state.description,
                     "notice": run.notice ?? NSNull()]
                } ?? NSNull()
            return object
        }
        var report: [String: Any] = ["daemon": daemonRunning ? "running" : "stopped", "jobs": jobs]
        if let finishedPods { report["finishedPods"] = finishedPods }
        if let leadership { report["leadership"] = leadership }
        let data = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }
}

/// A job's last success and failure (from the ledger) and whether it is overdue (its
/// `CRON_ALERT_AFTER` from the schedule files), computed as the daemon's overdue watch does.
struct JobAlertState {
    var lastSuccess: (id: RunID, at: Date)?
    var lastFailure: (id: RunID, at: Date, exitCode: Int32?, reason: String?)?
    var window: Duration?
    var overdueSince: Date?
    var deadline: Date?

    var overdueText: String {
        guard window != nil else { return "not watched (no CRON_ALERT_AFTER)" }
        if let overdueSince { return "yes, since \(overdueSince.formatted(.iso8601))" }
        return "no" + (deadline.map { " (until \($0.formatted(.iso8601)) without a success)" } ?? "")
    }

    static func read(for jobs: [String], stateDirectory: String, crontabs: String, now: Date) throws -> [String: JobAlertState] {
        var ledger: RunLedger?
        do { ledger = try RunLedger.openForReading(stateDirectory: stateDirectory) } catch {
            guard case .noLedger = error else { throw error }
        }
        let windows = Dictionary(
            ScheduleLoader.load(paths: [crontabs]).schedules.jobs.compactMap { spec in spec.alertAfter.map { (spec.name.rawValue, $0) } },
            uniquingKeysWith: { first, _ in first })
        var states: [String: JobAlertState] = [:]
        for name in jobs {
            var state = JobAlertState()
            let success = try ledger?.lastRun(of: name, endedIn: .succeeded)
            state.lastSuccess = success.map { ($0.id, $0.finishedAt ?? $0.scheduledAt) }
            state.lastFailure = try ledger?.lastRun(of: name, endedIn: .failed).map {
                ($0.id, $0.finishedAt ?? $0.scheduledAt, $0.exitCode, $0.reason)
            }
            if let window = windows[name] {
                state.window = window
                var tracker = OverdueTracker()
                tracker.watch(
                    name, within: window, lastSuccess: state.lastSuccess?.at, firstSeen: try ledger?.firstRun(of: name)?.scheduledAt,
                    now: now)
                _ = tracker.tick(now: now)
                switch tracker.status(of: name) {
                case .overdue(let since, _): state.overdueSince = since
                case .onTime(let deadline): state.deadline = deadline
                case nil: break
                }
            }
            states[name] = state
        }
        return states
    }
}
