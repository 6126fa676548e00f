import Alerting
import Foundation
import Ledger
import Logging
import Metrics
import Scheduler
import Schedules
import ServiceLifecycle

/// The daemon's alerting and metrics (#17), the same whether it runs alone or as one of several
/// hosts (`--lease`): the metrics registry and its endpoint, the ``AlertCenter`` that hears every
/// scheduler event and run output, and the services that deliver alerts and watch for overdue jobs.
///
/// With several hosts only the leader schedules, so only a term of leadership watches for overdue
/// jobs (a standby's ledger records no runs, and would see every job overdue).
struct DaemonAlerting: Sendable {
    let metrics: DaemonMetrics
    let alerts: AlertCenter
    let server: MetricsServer?
    /// The `PATH` jobs run with, where a bare sendmail name is looked for.
    private let commandPath: String
    private let sendmail: String
    private let overdueFile: URL
    private let logger: Logger

    /// Builds the registry and the alert center for `specs`, reads each job's last results from the
    /// ledger, and starts the metrics endpoint when one is configured.
    /// - Throws: ``DaemonStartFailure`` when the endpoint cannot listen (already logged and told).
    static func start(
        _ configuration: DaemonConfiguration, specs: [Schedules.JobSpec], jobs: [ScheduledJob], ledger: RunLedger,
        clock: any WallClock, startUp: StartUp
    ) async throws -> DaemonAlerting {
        let logger = startUp.logger
        let metrics = DaemonMetrics(now: { clock.now() })
        metrics.jobsLoaded(jobs)
        let environment = Daemon.cronEnvironment(configuration.environment)
        let alerts = AlertCenter(
            sendmail: Sendmail(command: configuration.sendmail), host: Daemon.hostName(), environment: environment,
            metrics: metrics, clock: clock, stateArgument: configuration.stateArgument, logger: logger)
        alerts.configure(specs)
        let commandPath = environment["PATH"] ?? "/usr/bin:/bin"
        Daemon.warnIfMailCannotBeSent(specs, sendmail: configuration.sendmail, path: commandPath, logger: logger)
        await Daemon.loadLastResults(of: jobs, from: ledger, into: metrics, logger: logger)
        var server: MetricsServer?
        if let address = configuration.metricsAddress {
            do {
                server = try MetricsServer(address: address, now: { clock.now() }) { head in
                    MetricsEndpoint.respond(to: head, registry: metrics.registry)
                }
            } catch { throw startUp.fail(errno: EADDRINUSE, "cannot serve metrics: \(error)") }
            logger.notice("serving Prometheus metrics on http://\(server!.boundAddress)\(MetricsEndpoint.path)")
        }
        return DaemonAlerting(
            metrics: metrics, alerts: alerts, server: server, commandPath: commandPath, sendmail: configuration.sendmail,
            overdueFile: URL(fileURLWithPath: configuration.stateDirectory).appendingPathComponent("overdue.json"),
            logger: logger)
    }

    /// Takes a reload's jobs.
    func reloaded(_ specs: [Schedules.JobSpec]) {
        alerts.configure(specs)
        metrics.jobsLoaded(ScheduledJob.jobs(from: specs))
        Daemon.warnIfMailCannotBeSent(specs, sendmail: sendmail, path: commandPath, logger: logger)
    }

    /// The deliveries of mail and hooks: to be listed before the scheduler, so that a graceful stop
    /// ends the scheduler first (its runs' ends are alerts too), then drains what is queued.
    var deliveries: ServiceGroupConfiguration.ServiceConfiguration {
        .init(service: AlertDeliveryService(dispatcher: alerts.dispatcher))
    }

    /// The overdue watch, from when the scheduler is `ready`.
    /// - Parameter notBefore: a term of leadership's start: the windows are counted from no earlier
    ///   (the runs of the host that led before are not in this host's ledger).
    func overdueWatch(
        ledger: RunLedger, thread: LedgerThread, clock: any WallClock, ready: Latch<Void>, notBefore: Date? = nil
    ) -> ServiceGroupConfiguration.ServiceConfiguration {
        .init(service: OverdueService(
            alerts: alerts, ledger: ledger, thread: thread, clock: clock, ready: ready, stateFile: overdueFile,
            notBefore: notBefore, logger: logger))
    }
}
