import Alerting
import Foundation
import Logging
import Metrics
import RunModel
import Scheduler
import Schedules
import Synchronization
import Synchronization
import Systemd

/// What the daemon does about its runs beyond recording them (#17): the failure mail and hook of
/// each run that ends badly, the overdue check, and the metrics. It hears every scheduler event
/// (synchronously, so it only updates small state and queues work), keeps the output tail of the
/// runs whose jobs alert, and hands the alerts to the ``AlertDispatcher``.
final class AlertCenter: Sendable {
    /// A job's alerting settings and what an alert says about it.
    struct JobAlerting: Sendable {
        var route: AlertRoute
        var command: String
        var executor: ExecutorKind
        var alertAfter: Duration?
        /// Whether its runs' output tails are kept (it mails or has a hook).
        var keepsTail: Bool { !route.mailTo.isEmpty || route.hook != nil }
    }

    private let jobs = Mutex<[String: JobAlerting]>([:])
    private let tails = Mutex<[RunID: OutputTail]>([:])
    private let starts = Mutex<[RunID: (at: Date, trigger: Trigger)]>([:])
    let tracker = Mutex(OverdueTracker())
    let dispatcher: AlertDispatcher
    let metrics: DaemonMetrics
    private let logger: Logger
    private let clock: any WallClock
    private let stateArgument: String?

    /// - Parameter stateArgument: `--state-dir DIR` for the `logs` command a mail quotes, when the
    ///   daemon's state folder is not the default.
    init(sendmail: Sendmail, host: String, environment: [String: String], metrics: DaemonMetrics, clock: any WallClock,
         stateArgument: String?, logger: Logger) {
        self.metrics = metrics
        self.logger = logger
        self.clock = clock
        self.stateArgument = stateArgument
        let deliveries = metrics.deliveries
        dispatcher = AlertDispatcher(
            sendmail: sendmail, host: host, environment: environment, now: { clock.now() },
            report: { AlertCenter.log($0, logger: logger, deliveries: deliveries) })
    }

    /// Takes the jobs of a load or reload.
    func configure(_ specs: [JobSpec]) {
        var table: [String: JobAlerting] = [:]
        for spec in specs {
            let hook = spec.onFailure.map { FailureHook(command: $0, timeout: spec.onFailureTimeout) }
            table[spec.name.rawValue] = JobAlerting(
                route: AlertRoute(mailTo: spec.mailTo, mailFrom: spec.mailFrom, mailPolicy: spec.mail, hook: hook),
                command: spec.command, executor: spec.executor, alertAfter: spec.alertAfter)
        }
        jobs.withLock { $0 = table }
    }

    /// The jobs that set `CRON_ALERT_AFTER`, with their windows.
    var watchedWindows: [String: Duration] { jobs.withLock { $0.compactMapValues(\.alertAfter) } }

    /// Keeps a line of a run's output when its job alerts.
    func keep(_ line: OutputLine) {
        guard jobs.withLock({ $0[line.slot.job]?.keepsTail }) == true else { return }
        tails.withLock { tails in
            tails[line.run, default: OutputTail()].append(line.bytes, isStandardError: line.stream == .stderr)
        }
    }

    /// Hears one scheduler event (after it is recorded): metrics, the overdue watch, alerts.
    func handle(_ event: SchedulerEvent) {
        let now = clock.now()
        switch event {
        case .started(let slot, let run, let trigger, _):
            starts.withLock { $0[run] = (now, trigger) }
            metrics.active.add(1, slot.job)
        case .adopted(let slot, let run, _):
            starts.withLock { $0[run] = (now, .scheduled) }
            metrics.active.add(1, slot.job)
        case .ended(let slot, let run, let outcome):
            let tail = tails.withLock { $0.removeValue(forKey: run) }
            let start = starts.withLock { $0.removeValue(forKey: run) }
            if start != nil { metrics.active.add(-1, slot.job) }
            ended(slot, run: run, outcome: outcome, start: start, tail: tail, at: now)
        case .lost(let slot, let run, let reason):
            metrics.runs.increment(slot.job, RunState.failed.rawValue)
            metrics.lastFailure.set(now.timeIntervalSince1970, slot.job)
            alert(Alert.Kind.lost, slot: slot, run: run, exitCode: nil, reason: reason, start: nil, tail: nil, at: now)
            observe(slot.job, .didNotSucceed("run \(run) was lost: \(reason)"), at: now)
        case .skipped(let slot, _, let reason):
            // A suspended job's slots are recorded as `suspended`, not `skipped` (the ledger's word).
            metrics.runs.increment(slot.job, (reason == .suspended ? RunState.suspended : .skipped).rawValue)
            observe(slot.job, .didNotSucceed("skipped at \(MailMessageTime.format(slot.scheduledAt)): \(reason)"), at: now)
        case .missed(let slot, let reason):
            metrics.runs.increment(slot.job, RunState.missed.rawValue)
            observe(slot.job, .didNotSucceed("missed at \(MailMessageTime.format(slot.scheduledAt)): \(reason)"), at: now)
        case .replaced(let slot, _):
            metrics.runs.increment(slot.job, RunState.replaced.rawValue)
        case .reloaded:
            break
        }
    }

    private func ended(
        _ slot: Slot, run: RunID, outcome: RunOutcome, start: (at: Date, trigger: Trigger)?, tail: OutputTail?, at now: Date
    ) {
        if let start { metrics.duration.observe(max(0, now.timeIntervalSince(start.at)), slot.job) }
        switch outcome {
        case .succeeded:
            metrics.runs.increment(slot.job, RunState.succeeded.rawValue)
            metrics.lastSuccess.set(now.timeIntervalSince1970, slot.job)
            alert(.succeeded, slot: slot, run: run, exitCode: 0, reason: "exited with status 0", start: start, tail: tail, at: now)
            observe(slot.job, .succeeded, at: now)
        case .failed(let exitCode, let reason):
            metrics.runs.increment(slot.job, RunState.failed.rawValue)
            metrics.lastFailure.set(now.timeIntervalSince1970, slot.job)
            // The scheduler words a start that failed "could not start: …" (Scheduler+Runs).
            let kind: Alert.Kind = reason.hasPrefix("could not start") ? .notStarted : .failed
            alert(kind, slot: slot, run: run, exitCode: exitCode, reason: reason, start: start, tail: tail, at: now)
            observe(slot.job, .didNotSucceed("run \(run) failed: \(reason)"), at: now)
        case .cancelled(let reason):
            metrics.runs.increment(slot.job, RunState.cancelled.rawValue)
            alert(.cancelled, slot: slot, run: run, exitCode: nil, reason: reason, start: start, tail: tail, at: now)
            observe(slot.job, .didNotSucceed("run \(run) was cancelled: \(reason)"), at: now)
        }
    }

    private func alert(
        _ kind: Alert.Kind, slot: Slot, run: RunID, exitCode: Int32?, reason: String, start: (at: Date, trigger: Trigger)?,
        tail: OutputTail?, at now: Date
    ) {
        guard let job = jobs.withLock({ $0[slot.job] }) else { return }
        let alert = Alert(
            kind, job: slot.job, run: run, scheduledAt: slot.scheduledAt, trigger: start?.trigger, executor: job.executor,
            command: job.command, exitCode: exitCode, reason: reason, startedAt: start?.at, endedAt: now,
            output: tail ?? OutputTail(), logsCommand: logsCommand(job: slot.job, run: run))
        dispatcher.dispatch(alert, route: job.route)
    }

    private func logsCommand(job: String, run: RunID?) -> String {
        "fargate-cron logs \(job)" + (run.map { " --run \($0)" } ?? "") + (stateArgument.map { " --state-dir \($0)" } ?? "")
    }

    private func observe(_ job: String, _ observation: OverdueTracker.Observation, at now: Date) {
        let actions = tracker.withLock { $0.observe(job, observation, at: now) }
        perform(actions, at: now)
    }

    /// Carries out the overdue watch's actions: a journal event, the mail and the hook, the gauges.
    func perform(_ actions: [OverdueTracker.Action], at now: Date) {
        for action in actions {
            switch action {
            case .overdue(let name, let lastSuccess, _, let reason):
                logger.log(RunEvent(.overdue, job: name, reason: reason))
                metrics.overdue.set(1, name)
                if let job = jobs.withLock({ $0[name] }) {
                    let alert = Alert(
                        .overdue, job: name, executor: job.executor, command: job.command, reason: reason,
                        lastSuccess: lastSuccess, logsCommand: logsCommand(job: name, run: nil))
                    dispatcher.dispatch(alert, route: job.route)
                }
            case .recovered(let name, let at, let since):
                let reason = "it had been overdue since \(MailMessageTime.format(since)); it succeeded at \(MailMessageTime.format(at))"
                logger.log(RunEvent(.recovered, job: name, reason: reason))
                metrics.overdue.set(0, name)
                if let job = jobs.withLock({ $0[name] }) {
                    let alert = Alert(
                        .recovered, job: name, executor: job.executor, command: job.command, reason: reason, lastSuccess: at,
                        logsCommand: logsCommand(job: name, run: nil))
                    dispatcher.dispatch(alert, route: job.route)
                }
            }
        }
        if !actions.isEmpty {
            metrics.overdueJobs.set(Double(tracker.withLock { $0.raisedAlerts.count }))
        }
    }

    /// Writes what became of a mail or hook to the journal (a failure as its own event) and counts it.
    static func log(_ delivery: AlertDelivery, logger: Logger, deliveries: Counter) {
        switch delivery {
        case .mailed(let alert, let to):
            deliveries.increment("mail", "sent")
            logger.info(
                "mailed \(to.joined(separator: ", ")) about \(alert.job) (\(alert.kind.rawValue))",
                metadata: fields(alert))
        case .mailFailed(let alert, let error):
            deliveries.increment("mail", "failed")
            logger.log(RunEvent(
                .mailFailed, job: alert.job, runID: alert.run?.description, scheduledAt: alert.scheduledAt,
                reason: error.description))
        case .hookSucceeded(let alert, let command):
            deliveries.increment("hook", "succeeded")
            logger.info("the failure hook of \(alert.job) ran: \(command)", metadata: fields(alert))
        case .hookFailed(let alert, let command, let reason, let output):
            deliveries.increment("hook", "failed")
            let said = output.isEmpty ? "" : "; it said: " + output.suffix(5).joined(separator: " / ")
            logger.log(RunEvent(
                .hookFailed, job: alert.job, runID: alert.run?.description, scheduledAt: alert.scheduledAt,
                reason: "\(command) \(reason)\(said)"))
        case .dropped(let alert):
            deliveries.increment("any", "dropped")
            logger.error(
                "dropped the \(alert.kind.rawValue) alert of \(alert.job): too many alerts are waiting", metadata: fields(alert))
        }
    }

    private static func fields(_ alert: Alert) -> Logger.Metadata {
        var metadata: Logger.Metadata = [JournalField.cronJob: "\(alert.job)"]
        if let run = alert.run { metadata[JournalField.cronRunID] = "\(run)" }
        return metadata
    }
}

/// Instants as the alerts write them (ISO 8601 in UTC).
enum MailMessageTime {
    static func format(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC")!))
    }
}

/// The journal output of runs, keeping the tails of the runs whose jobs alert: the lines it
/// writes, and those the Kubernetes and ECS executors write to the journal themselves.
struct AlertingOutput: OutputSink {
    let journal: any OutputSink
    let alerts: AlertCenter

    func write(_ line: OutputLine) {
        alerts.keep(line)
        journal.write(line)
    }

    /// A Kubernetes or ECS run's line, journaled by its executor with the pod's or task's fields.
    func noteJournaled(_ line: OutputLine) {
        alerts.keep(line)
    }
}
