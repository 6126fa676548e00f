import FargateExecutor
import Foundation
import HTTP
import Kubernetes
import Ledger
import Logging
import Scheduler
import Schedules
import ServiceLifecycle
import Systemd
import UnixSignals

#if canImport(Glibc)
    import Glibc
#endif

extension Daemon {
    /// The daemon as one of several hosts for the same schedules (`--lease`): every host loads,
    /// checks and reloads the schedules, answers `status` and is READY to systemd; only the host that
    /// holds the Lease schedules (``LeadershipService``), the others stand by.
    ///
    /// Its services, in order: the control socket, the reloader, ledger pruning (this host's own
    /// ledger), the election with its terms of leadership, `STOPPING=1`, `STATUS=`. On SIGTERM they
    /// stop in reverse: leadership ends and the Lease is released before the control socket closes.
    static func runElecting(
        _ lease: LeaseConfiguration, configuration: DaemonConfiguration, startUp: StartUp, writer: EntryWriter,
        ledger: RunLedger, loaded: ScheduleReload.Result, jobs: [ScheduledJob], clock: any WallClock, thread: LedgerThread,
        alerting: DaemonAlerting
    ) async throws {
        let logger = startUp.logger, notifier = startUp.notifier, environment = configuration.environment
        guard !configuration.withoutCluster else {
            throw startUp.fail(errno: EINVAL, "--lease elects a leader on the cluster: it cannot be used with --without-cluster")
        }
        var client: KubeClient
        do {
            let connection = try await ClusterConnection.resolve(
                configuration.cluster, environment: environment, awsTransport: CurlTransport(), now: { Date() })
            client = connection.makeClient()
            let metrics = alerting.metrics
            client.requestObserver = { verb, failed in metrics.countAPIRequest(verb: verb, failed: failed) }
        } catch {
            throw startUp.fail(
                errno: EHOSTUNREACH, "cannot find the cluster holding the Lease \(lease): \(error)",
                status: "cannot find the cluster: \(error)")
        }
        let identity = LeaderIdentity(host: configuration.hostName ?? "localhost", processID: getpid())
        let elector = LeaderElector(
            client: client, namespace: lease.namespace, name: lease.name, identity: identity, configuration: lease.election,
            clock: ContinuousClock(), date: { clock.now() }, logger: logger)
        let kubernetesJobs = KubernetesJobTable(loaded.schedules.jobs)
        let ecs = try await Executors.ecsParts(
            for: configuration, specs: loaded.schedules.jobs, clock: clock, startUp: startUp, metrics: alerting.metrics)
        let parts = LeaderTerm.Parts(
            client: client.leaderOnly(lease: lease.description) { elector.isLeading }, ledger: ledger, thread: thread,
            kubernetesJobs: kubernetesJobs, local: LocalExecutor(baseEnvironment: cronEnvironment(environment)),
            writer: writer, clock: clock, limits: configuration.limits, gcInterval: configuration.gcInterval,
            hostName: configuration.hostName, retryPeriod: lease.election.retryPeriod,
            rates: FargateRates(environment: environment, logger: logger), alerting: alerting, logger: logger, ecs: ecs)
        // Standing by until the election says otherwise: the leader gauge follows the terms.
        alerting.metrics.setLeader(false)
        let terms = Terms(jobs: jobs)

        let watchdog: Duration?
        do { watchdog = try notifier.watchdogInterval } catch {
            logger.error("WATCHDOG_USEC is malformed, so no watchdog pings are sent: \(error)")
            watchdog = nil
        }
        let (statusChanges, statusChanged) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        // A term's scheduler: READY=1 was sent when the host stood by, so its readiness only updates STATUS=.
        let hooks = SchedulerHooks(
            ready: { statusChanged.yield() },
            heartbeat: watchdog.map { interval in
                (interval, {
                    do { _ = try notifier.watchdog() } catch { logger.error("cannot send the watchdog ping: \(error)") }
                })
            },
            event: {
                $0.log(to: logger)
                alerting.alerts.handle($0)
                statusChanged.yield()
            })
        let ready = Latch<Void>()
        let leadership = LeadershipService(
            elector: elector, terms: terms,
            makeTerm: { jobs, previous in LeaderTerm(parts: parts, jobs: jobs, previousLeader: previous, hooks: hooks) },
            notifier: notifier, ready: ready, statusChanged: statusChanged, watchdog: watchdog, logger: logger)
        let control = ControlServer(path: configuration.controlSocket, logger: logger) { request in
            if let term = terms.current, elector.isLeading {
                var response = await answer(request, scheduler: term.scheduler, executors: term.executors, logger: logger)
                response.leadership = elector.leadership.description
                return response
            }
            return await StandbyStatus.answer(
                request, leadership: elector.leadership, jobs: terms.jobs, ledger: ledger, thread: thread, clock: clock)
        }
        let reloader = ScheduleReloader(
            folder: configuration.crontabs, initial: loaded.schedules, scheduler: terms, notifier: notifier, logger: logger,
            hangups: await UnixSignalsSequence(trapping: .sighup),
            reloaded: { specs in
                kubernetesJobs.replace(with: specs)
                ECSParts.reloaded(specs, parts: ecs, logger: logger)
                alerting.reloaded(specs)
            })
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [
                    // Before the leadership: a graceful stop ends the terms first, then drains the alerts.
                    alerting.deliveries,
                    .init(service: control), .init(service: reloader),
                    .init(service: LedgerPruneService(
                        ledger: ledger, thread: thread, retention: configuration.ledgerRetention, clock: clock,
                        ready: ready, logger: logger)),
                    .init(service: leadership),
                    .init(service: StoppingNotice(notifier: notifier, logger: logger)),
                    .init(service: LeadershipStatusNotice(
                        elector: elector, terms: terms, notifier: notifier, changes: statusChanges, logger: logger)),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
