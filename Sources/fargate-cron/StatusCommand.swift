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
        discussion: "Asks the running daemon; when none answers, reads the schedule files and the ledger instead.")

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
        do {
            let response = try ControlClient.send(.status, to: path)
            guard response.ok, let listed = response.jobs else {
                throw ValidationError("the daemon refused: \(response.error ?? "no answer")")
            }
            (jobs, daemonRunning, finishedPods) = (listed, true, response.finishedPods)
        } catch let error as ControlSocketError where error.call == "connect" && [ENOENT, ECONNREFUSED].contains(error.code) {
            jobs = try statusFromFiles(environment: environment)
            daemonRunning = false
        }
        if json {
            print(try StatusReport(daemonRunning: daemonRunning, jobs: jobs, finishedPods: finishedPods).json())
        } else {
            print(StatusReport(daemonRunning: daemonRunning, jobs: jobs, finishedPods: finishedPods).text)
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

    var text: String {
        var lines = ["daemon: \(daemonRunning ? "running" : "not running (from the schedule files and the ledger)")"]
        for job in jobs {
            let next = job.isSuspended ? "suspended" : job.nextFireDate.map { $0.formatted(.iso8601) } ?? "never"
            let active = job.activeRuns.isEmpty ? "idle" : "active: run " + job.activeRuns.map(\.description).joined(separator: ", ")
            let last = job.lastRun.map { "last: run \($0.id) at \($0.slot.scheduledAt.formatted(.iso8601)) \($0.state)" + ($0.notice.map { ", \($0)" } ?? "") } ?? "never ran"
            lines.append("\(job.name)\t\(job.schedule)\tnext \(next)\t\(active)\t\(last)")
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
            object["lastRun"] =
                job.lastRun.map { run -> [String: Any] in
                    ["run": run.id.rawValue, "scheduledAt": run.slot.scheduledAt.formatted(.iso8601), "state": run.state.description,
                     "notice": run.notice ?? NSNull()]
                } ?? NSNull()
            return object
        }
        var report: [String: Any] = ["daemon": daemonRunning ? "running" : "stopped", "jobs": jobs]
        if let finishedPods { report["finishedPods"] = finishedPods }
        let data = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }
}
