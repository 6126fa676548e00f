import ArgumentParser
import FargateExecutor
import Foundation
import Kubernetes
import Ledger
import Logging
import Scheduler
import Schedules
import ServiceLifecycle
import Systemd
import UnixSignals

/// `fargate-cron daemon`: the scheduler in the foreground, as systemd's `Type=notify` service.
struct DaemonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "daemon",
        abstract: "Run the scheduler in the foreground (systemd Type=notify).",
        discussion: """
            Every option can also come from the environment as FARGATE_CRON_<OPTION> (for example
            FARGATE_CRON_CRONTABS, FARGATE_CRON_STATE_DIR), so the unit file can read /etc/default/fargate-cron.
            SIGHUP, or a change in the schedule folder, reloads it; SIGTERM stops the daemon.
            """)

    @Option(help: "The folder of schedule files (default: $FARGATE_CRON_CRONTABS, else crontabs).")
    var crontabs: String?

    @OptionGroup var state: StateOptions

    @OptionGroup var cluster: ClusterOptions

    @Flag(help: ArgumentHelp(
        "Run with no Kubernetes cluster: local jobs run, and each run of a kubernetes job fails at once, on record (also FARGATE_CRON_WITHOUT_CLUSTER=1).",
        discussion: "For trying schedules on a machine that has no cluster. Refused while the ledger holds active kubernetes runs."))
    var withoutCluster = false

    @Option(help: "Seconds between garbage-collection sweeps of the cluster (default: $FARGATE_CRON_GC_INTERVAL, else 300).")
    var gcInterval: Int?

    @Option(help: "At most this many runs started per second across all jobs (default: $FARGATE_CRON_MAX_STARTS_PER_SECOND, else 50).")
    var maxStartsPerSecond: Int?

    @Option(help: "At most this many runs active at once across all jobs (default: $FARGATE_CRON_MAX_ACTIVE_RUNS, else 500).")
    var maxActiveRuns: Int?

    @Option(help: "How long finished runs stay in the ledger, e.g. 90d, 12w, 36h (default: $FARGATE_CRON_LEDGER_RETENTION, else 90d).")
    var ledgerRetention: LookbackDuration?

    func run() async throws {
        MallocTuning.returnLargeBlocksWhenFreed()
        let environment = ProcessInfo.processInfo.environment
        let writer = EntryWriter(destination: LogDestination.select(journalStream: environment["JOURNAL_STREAM"]))
        let logger = Logger(label: "fargate-cron") { JournalLogHandler(label: $0, writer: writer) }
        let notifier = Notifier()
        let folder = crontabs ?? environment["FARGATE_CRON_CRONTABS"] ?? "crontabs"
        let stateDirectory = state.resolved(in: environment)
        let retention = try resolvedRetention(in: environment)

        let ledger: RunLedger
        do { ledger = try RunLedger.open(stateDirectory: stateDirectory) } catch {
            logger.critical("cannot open the run ledger: \(error)")
            do { _ = try notifier.failed(errnoCode: EIO, status: "cannot open the run ledger: \(error)") } catch {
                logger.error("cannot notify systemd of the failure: \(error)")
            }
            throw ExitCode.failure
        }
        let loaded = ScheduleLoader.load(paths: [folder])
        report(loaded.diagnostics, logger: logger)
        let jobs = ScheduledJob.jobs(from: loaded.schedules.jobs)
        let clock = SystemWallClock()
        let kubernetesJobs = KubernetesJobTable(loaded.schedules.jobs)
        let schedulerReady = Latch<Void>()
        var executors: [SchedulerExecutorKind: any Executor] = [
            .local: LocalExecutor(baseEnvironment: Self.cronEnvironment(environment))
        ]
        var sweeper: SweepService?
        var kubernetesExecutor: (executor: KubernetesExecutor, client: KubeClient)?
        if try WithoutCluster.isChosen(flag: withoutCluster, cluster: cluster, environment: environment) {
            let kubernetesNames = Set(kubernetesJobs.all.map(\.jobName))
            let active = try WithoutCluster.activeRuns(ofKubernetesJobs: kubernetesNames, in: ledger)
            if let first = active.first {
                let message = "cannot run without a cluster: the ledger holds \(active.count) active kubernetes run(s), such as run \(first.id.rawValue) of \(first.job); start with the cluster to re-attach them"
                logger.critical("\(message)")
                do { _ = try notifier.failed(errnoCode: EBUSY, status: message) } catch {
                    logger.error("cannot notify systemd of the failure: \(error)")
                }
                throw ExitCode.failure
            }
            executors[.kubernetes] = UnavailableExecutor(reason: WithoutCluster.reason)
            if !kubernetesNames.isEmpty {
                logger.warning("running without a cluster: the runs of the \(kubernetesNames.count) kubernetes job(s) will fail")
            }
        } else if !kubernetesJobs.all.isEmpty || cluster.namesACluster(in: environment) {
            let (executor, client) = try await makeKubernetesExecutor(
                jobs: kubernetesJobs, ledger: ledger, writer: writer, clock: clock, notifier: notifier, logger: logger)
            executors[.kubernetes] = executor
            kubernetesExecutor = (executor, client)
            let seconds = gcInterval ?? environment["FARGATE_CRON_GC_INTERVAL"].flatMap { Int($0) } ?? 300
            sweeper = SweepService(
                executor: executor, jobs: kubernetesJobs, ready: schedulerReady, interval: .seconds(max(1, seconds)), logger: logger)
        }
        for job in jobs where executors[job.executor] == nil {
            logger.error("job \(job.name) uses the \(job.executor) executor, which this daemon does not have; its runs will fail")
        }

        let limits = SchedulerLimits(
            maxStartsPerSecond: maxStartsPerSecond ?? environment["FARGATE_CRON_MAX_STARTS_PER_SECOND"].flatMap { Int($0) } ?? 50,
            maxActiveRuns: maxActiveRuns ?? environment["FARGATE_CRON_MAX_ACTIVE_RUNS"].flatMap { Int($0) } ?? 500)
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
                statusChanged.yield()
            })
        let scheduler = Scheduler(
            jobs: jobs, clock: clock, store: LedgerRunStore(ledger: ledger, clock: clock),
            executors: executors,
            output: JournalOutput(writer: writer), limits: limits, hooks: hooks, logger: logger)
        let collector = kubernetesExecutor
        let control = ControlServer(path: state.controlSocket(in: environment), logger: logger) { request in
            switch request.command {
            case .status:
                var pods: [String]?
                if let client = collector?.client { pods = await client.finishedPods(in: kubernetesJobs.all) }
                return ControlResponse(ok: true, jobs: await scheduler.status(), finishedPods: pods)
            case .trigger:
                guard let job = request.job else { return .failure("trigger needs a job name") }
                return ControlResponse(ok: true, trigger: await scheduler.trigger(job))
            case .gc:
                guard let executor = collector?.executor else { return .failure("this daemon has no kubernetes jobs and no cluster") }
                let result = await executor.sweep(jobs: kubernetesJobs.all, dryRun: request.dryRun ?? false)
                if request.dryRun != true { SweepService.log(result, logger: logger) }
                return ControlResponse(ok: true, deleted: result.deleted.map(\.description), errors: result.errors)
            }
        }
        let reloader = ScheduleReloader(
            folder: folder, initial: loaded.schedules, scheduler: scheduler, notifier: notifier, logger: logger,
            hangups: await UnixSignalsSequence(trapping: .sighup),
            reloaded: { specs in
                kubernetesJobs.replace(with: specs)
                if collector == nil, !kubernetesJobs.all.isEmpty {
                    logger.error("kubernetes jobs were added, but this daemon started without a cluster: their runs fail until it is restarted")
                }
            })
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [
                    .init(service: scheduler), .init(service: control), .init(service: reloader),
                    .init(service: LedgerPruneService(
                        ledger: ledger, retention: retention, clock: clock, ready: schedulerReady, logger: logger)),
                ] + (sweeper.map { [.init(service: $0)] } ?? []) + [
                    .init(service: StoppingNotice(notifier: notifier, logger: logger)),
                    .init(
                        service: StatusNotice(scheduler: scheduler, notifier: notifier, changes: statusChanges, logger: logger)),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    /// The ledger's retention: the option, else `FARGATE_CRON_LEDGER_RETENTION`, else 90 days.
    private func resolvedRetention(in environment: [String: String]) throws -> Duration {
        if let ledgerRetention { return .seconds(ledgerRetention.seconds) }
        guard let text = environment["FARGATE_CRON_LEDGER_RETENTION"], !text.isEmpty else {
            return RunLedger.defaultRetention
        }
        guard let parsed = LookbackDuration(argument: text) else {
            throw ValidationError("FARGATE_CRON_LEDGER_RETENTION must be a duration such as 90d, 12w or 36h, got '\(text)'")
        }
        return .seconds(parsed.seconds)
    }

    /// The `kubernetes` executor on the cluster the options name; a daemon that has `kubernetes`
    /// jobs but cannot find its cluster fails to start (systemd sees the failure) rather than
    /// failing every run.
    private func makeKubernetesExecutor(
        jobs: KubernetesJobTable, ledger: RunLedger, writer: EntryWriter, clock: any WallClock, notifier: Notifier,
        logger: Logger
    ) async throws -> (KubernetesExecutor, KubeClient) {
        let environment = ProcessInfo.processInfo.environment
        let client: KubeClient
        do { client = try await cluster.connect(environment: environment) } catch {
            logger.critical("cannot find the cluster for the kubernetes jobs: \(error)")
            do { _ = try notifier.failed(errnoCode: EHOSTUNREACH, status: "cannot find the cluster: \(error)") } catch {
                logger.error("cannot notify systemd of the failure: \(error)")
            }
            throw ExitCode.failure
        }
        let rates = FargateRates(environment: environment, logger: logger)
        let executor = KubernetesExecutor(
            client: client, settings: { jobs.settings(of: $0) }, journal: writer, clock: clock, logger: logger,
            onReport: { report in Self.record(report, rates: rates, in: ledger, clock: clock, logger: logger) })
        return (executor, client)
    }

    /// Keeps what the executor learnt of a finished run (pods, node, billed size and time, price).
    static func record(_ report: RunReport, rates: FargateRates?, in ledger: RunLedger, clock: any WallClock, logger: Logger) {
        do { try ledger.record(report, rates: rates, at: clock.now()) } catch {
            logger.error(
                "cannot record what run \(report.run) of \(report.slot.job) cost: \(error)",
                metadata: [JournalField.cronJob: "\(report.slot.job)", JournalField.cronRunID: "\(report.run)"])
        }
    }

    /// What cron passes every command (crontab(5)): a plain PATH and SHELL, and who runs it.
    static func cronEnvironment(_ environment: [String: String]) -> [String: String] {
        var base = ["PATH": "/usr/local/bin:/usr/bin:/bin", "SHELL": "/bin/sh"]
        for name in ["HOME", "LOGNAME", "USER", "LANG", "TZ"] { base[name] = environment[name] }
        return base
    }
}

/// Sends `STOPPING=1` as soon as a graceful shutdown begins (services hear it last to first: only
/// `StatusNotice`, which stops at once, hears it before).
struct StoppingNotice: Service {
    let notifier: Notifier
    let logger: Logger

    func run() async throws {
        do { try await gracefulShutdown() } catch { return }
        do { _ = try notifier.stopping(status: "stopping") } catch {
            logger.error("cannot notify systemd that the daemon is stopping: \(error)")
        }
    }
}
