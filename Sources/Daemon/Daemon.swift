import Alerting
import FargateExecutor
import Foundation
import Kubernetes
import Ledger
import Logging
import Metrics
import RunModel
import Scheduler
import Schedules
import ServiceLifecycle
import Systemd
import UnixSignals

/// The daemon: what `fargate-cron daemon` runs, as a library, so that every part of it (the
/// services, the adapters between modules, the executors, the start-up checks) is found in one place.
///
/// ```swift
/// try await Daemon.run(DaemonConfiguration(crontabs: "crontabs", stateDirectory: "state",
///                                          controlSocket: "state/control.sock", environment: environment))
/// ```
///
/// It opens the ledger, loads the schedule folder, builds the executors (checking the cluster, or
/// that a daemon without one has nothing to re-attach), and runs one `ServiceGroup`: the scheduler,
/// the control socket, the reloader, ledger pruning, the garbage-collection sweep, and systemd's
/// notices, until SIGTERM or SIGINT.
public enum Daemon {
    /// Runs the daemon until a graceful shutdown.
    /// - Throws: ``DaemonStartFailure`` when it cannot start (already logged and told to systemd);
    ///   the service group's error when a service fails.
    public static func run(_ configuration: DaemonConfiguration) async throws {
        MallocTuning.returnLargeBlocksWhenFreed()
        MallocTuning.keepRecentlyFreedPages()
        let environment = configuration.environment
        let writer = EntryWriter(
            destination: LogDestination.select(journalStream: environment["JOURNAL_STREAM"]),
            instance: DaemonInstance.name(stateDirectory: configuration.stateDirectory))
        let logger = Logger(label: "fargate-cron") { JournalLogHandler(label: $0, writer: writer) }
        let notifier = Notifier()
        let startUp = StartUp(logger: logger, notifier: notifier)
        let folder = configuration.crontabs

        let ledger: RunLedger
        do { ledger = try RunLedger.open(stateDirectory: configuration.stateDirectory, host: configuration.hostName) } catch {
            throw startUp.fail(errno: EIO, "cannot open the run ledger: \(error)")
        }
        let loaded = ScheduleLoader.load(paths: [folder])
        report(loaded.diagnostics, logger: logger)
        let jobs = ScheduledJob.jobs(from: loaded.schedules.jobs)
        let clock = SystemWallClock()
        let ledgerThread = LedgerThread()
        let alerting = try await DaemonAlerting.start(
            configuration, specs: loaded.schedules.jobs, jobs: jobs, ledger: ledger, clock: clock, startUp: startUp)
        let alerts = alerting.alerts, metrics = alerting.metrics
        defer { alerting.server?.stop() }
        if let lease = configuration.lease {
            // Several hosts for the same schedules: the one that holds the Lease schedules.
            try await runElecting(
                lease, configuration: configuration, startUp: startUp, writer: writer, ledger: ledger, loaded: loaded,
                jobs: jobs, clock: clock, thread: ledgerThread, alerting: alerting)
            return
        }
        let schedulerReady = Latch<Void>()
        let executors = try await Executors.make(
            for: configuration, jobs: jobs, specs: loaded.schedules.jobs, ledger: ledger, thread: ledgerThread,
            writer: writer, clock: clock,
            ready: schedulerReady, startUp: startUp, metrics: metrics)

        let watchdog: Duration?
        do { watchdog = try notifier.watchdogInterval } catch {
            logger.error("WATCHDOG_USEC is malformed, so no watchdog pings are sent: \(error)")
            watchdog = nil
        }
        // READY=1 alone; the STATUS= line (jobs, runs active, next job) follows from StatusNotice.
        let (statusChanges, statusChanged) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let hooks = SchedulerHooks(
            ready: {
                schedulerReady.set(())
                do { _ = try notifier.ready() } catch {
                    logger.error("cannot notify systemd that the daemon is ready: \(error)")
                }
                statusChanged.yield()
            },
            heartbeat: watchdog.map { interval in
                (interval, {
                    do { _ = try notifier.watchdog() } catch { logger.error("cannot send the watchdog ping: \(error)") }
                })
            },
            event: {
                $0.log(to: logger)
                alerts.handle($0)
                statusChanged.yield()
            })
        let scheduler = Scheduler(
            jobs: jobs, clock: clock, store: LedgerRunStore(ledger: ledger, clock: clock, thread: ledgerThread),
            executors: executors.byKind,
            output: AlertingOutput(journal: JournalOutput(writer: writer), alerts: alerts), limits: configuration.limits, hooks: hooks, logger: logger)
        let control = ControlServer(path: configuration.controlSocket, logger: logger) { request in
            await answer(request, scheduler: scheduler, executors: executors, logger: logger)
        }
        let reloader = ScheduleReloader(
            folder: folder, initial: loaded.schedules, scheduler: scheduler, notifier: notifier, logger: logger,
            hangups: await UnixSignalsSequence(trapping: .sighup),
            reloaded: { specs in
                executors.reloaded(specs, logger: logger)
                alerting.reloaded(specs)
            })
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                // The alert deliveries before the scheduler: a graceful stop ends the scheduler first
                // (its runs' ends are alerts too), then drains what is queued.
                services: executors.services + [
                    alerting.deliveries,
                    .init(service: scheduler), .init(service: control), .init(service: reloader),
                    .init(service: LedgerPruneService(
                        ledger: ledger, thread: ledgerThread, retention: configuration.ledgerRetention, clock: clock,
                        ready: schedulerReady, logger: logger)),
                    alerting.overdueWatch(ledger: ledger, thread: ledgerThread, clock: clock, ready: schedulerReady),
                ] + (executors.sweeper.map { [.init(service: $0)] } ?? []) + [
                    .init(service: StoppingNotice(notifier: notifier, logger: logger)),
                    .init(
                        service: StatusNotice(scheduler: scheduler, notifier: notifier, changes: statusChanges, logger: logger)),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    /// What cron passes every command (crontab(5)): a plain PATH and SHELL, and who runs it.
    public static func cronEnvironment(_ environment: [String: String]) -> [String: String] {
        var base = ["PATH": "/usr/local/bin:/usr/bin:/bin", "SHELL": "/bin/sh"]
        for name in ["HOME", "LOGNAME", "USER", "LANG", "TZ"] { base[name] = environment[name] }
        return base
    }

    /// The control socket's answer to one request (`status`, `trigger`, `gc`).
    static func answer(
        _ request: ControlRequest, scheduler: Scheduler, executors: Executors, logger: Logger
    ) async -> ControlResponse {
        let collector = executors.kubernetes
        switch request.command {
        case .status:
            var pods: [String]?
            if let client = collector?.client { pods = await client.finishedPods(in: executors.kubernetesJobs.all) }
            return ControlResponse(ok: true, jobs: await scheduler.status(), finishedPods: pods)
        case .trigger:
            guard let job = request.job else { return .failure("trigger needs a job name") }
            return ControlResponse(ok: true, trigger: await scheduler.trigger(job))
        case .gc:
            guard let executor = collector?.executor else { return .failure("this daemon has no kubernetes jobs and no cluster") }
            let result = await executor.sweep(jobs: executors.kubernetesJobs.all, dryRun: request.dryRun ?? false)
            if request.dryRun != true { SweepService.log(result, logger: logger) }
            return ControlResponse(ok: true, deleted: result.deleted.map(\.description), errors: result.errors)
        }
    }
}

/// Fails the start-up: logs at `critical` and tells systemd why (`ERRNO=`, `STATUS=`), so that
/// `systemctl status` shows the reason and `Restart=on-failure` sees a failure.
struct StartUp {
    let logger: Logger
    let notifier: Notifier

    /// - Parameter status: the `STATUS=` line, when shorter than the logged message.
    func fail(errno code: Int32, _ message: String, status: String? = nil) -> DaemonStartFailure {
        logger.critical("\(message)")
        do { _ = try notifier.failed(errnoCode: code, status: status ?? message) } catch {
            logger.error("cannot notify systemd of the failure: \(error)")
        }
        return DaemonStartFailure(message: message)
    }
}

/// The daemon's alert deliveries (mail, hooks) as a service: queued alerts are delivered until the
/// daemon stops; at a graceful stop the queue is drained, each delivery within its own bound.
struct AlertDeliveryService: Service {
    let dispatcher: AlertDispatcher

    func run() async throws {
        await withGracefulShutdownHandler {
            await dispatcher.run()
        } onGracefulShutdown: {
            dispatcher.finish()
        }
    }
}

/// The name a daemon's journal entries carry in `CRON_INSTANCE`: its state folder's absolute path,
/// the same for `fargate-cron logs --state-dir` as for the daemon (#17).
public enum DaemonInstance {
    /// The absolute, standardized path of `stateDirectory` (symbolic links resolved where they exist).
    public static func name(stateDirectory: String) -> String {
        URL(fileURLWithPath: stateDirectory).standardizedFileURL.resolvingSymlinksInPath().path
    }
}

extension Daemon {
    /// This host's name (gethostname), for mail.
    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Logs one warning (at start and after each reload) when jobs mail but sendmail cannot run:
    /// their runs run, and each mail failure is a journal event of its own.
    /// - Parameter path: the `PATH` the command runs with (a bare name is looked for there).
    static func warnIfMailCannotBeSent(_ specs: [Schedules.JobSpec], sendmail: String, path: String, logger: Logger) {
        let mailing = specs.filter { !$0.mailTo.isEmpty && $0.mail != .never }
        guard !mailing.isEmpty, let problem = Sendmail(command: sendmail).problem(path: path) else { return }
        logger.warning(
            "\(mailing.count) job(s) have MAILTO set (\(mailing.prefix(3).map(\.name.rawValue).joined(separator: ", "))), but mail cannot be sent: \(problem)")
    }

    /// Sets the last-success and last-failure gauges from the ledger, so a restart does not lose them.
    static func loadLastResults(of jobs: [ScheduledJob], from ledger: RunLedger, into metrics: DaemonMetrics, logger: Logger) async {
        let successes: [String: Date], failures: [String: Date]
        do {
            (successes, failures) = (try ledger.lastEnds(in: .succeeded), try ledger.lastEnds(in: .failed))
        } catch {
            logger.error("cannot read the jobs' last results for the metrics: \(error)")
            return
        }
        for job in jobs {
            if let at = successes[job.name] { metrics.lastSuccess.set(at.timeIntervalSince1970, job.name) }
            if let at = failures[job.name] { metrics.lastFailure.set(at.timeIntervalSince1970, job.name) }
        }
    }
}
