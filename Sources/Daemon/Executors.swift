import FargateExecutor
import Foundation
import HTTP
import Kubernetes
import Ledger
import Logging
import RunModel
import Scheduler
import Schedules
import ServiceLifecycle
import Systemd

/// The executors of one daemon, built at start-up from its configuration and its jobs, with the
/// start-up checks that go with them: a daemon with `kubernetes` jobs must find its cluster, and a
/// daemon without a cluster must have no Kubernetes run to re-attach.
struct Executors: Sendable {
    /// By kind, as the scheduler looks them up.
    let byKind: [ExecutorKind: any Executor]
    /// The kubernetes executor and its client, when the daemon has a cluster.
    let kubernetes: (executor: KubernetesExecutor, client: KubeClient)?
    /// Every loaded `kubernetes` job's settings, replaced on each reload.
    let kubernetesJobs: KubernetesJobTable
    /// The garbage-collection sweep, when the daemon has a cluster.
    let sweeper: SweepService?
    /// Whether the daemon runs without a cluster on purpose (`--without-cluster`).
    let withoutCluster: Bool

    /// The services that run the executors' work (a kubernetes run's watches and log streams), to be
    /// listed before the scheduler so that they stop after it.
    var services: [ServiceGroupConfiguration.ServiceConfiguration] {
        kubernetes.map { [.init(service: KubernetesRunsService(executor: $0.executor))] } ?? []
    }

    /// Builds the executors the configuration and the jobs call for.
    /// - Throws: ``DaemonStartFailure`` when the cluster cannot be found, or a daemon without one
    ///   finds active Kubernetes runs in the ledger.
    static func make(
        for configuration: DaemonConfiguration, jobs: [ScheduledJob], specs: [Schedules.JobSpec], ledger: RunLedger,
        thread: LedgerThread, writer: EntryWriter, clock: any WallClock, ready: Latch<Void>, startUp: StartUp,
        metrics: DaemonMetrics? = nil
    ) async throws(DaemonStartFailure) -> Executors {
        let logger = startUp.logger
        let environment = configuration.environment
        let kubernetesJobs = KubernetesJobTable(specs)
        var byKind: [ExecutorKind: any Executor] = [
            .local: LocalExecutor(baseEnvironment: Daemon.cronEnvironment(environment))
        ]
        var kubernetes: (executor: KubernetesExecutor, client: KubeClient)?
        var sweeper: SweepService?
        if configuration.withoutCluster {
            let kubernetesNames = Set(kubernetesJobs.all.map(\.jobName))
            let active: [Run]
            do { active = try WithoutCluster.activeRuns(ofKubernetesJobs: kubernetesNames, in: ledger) } catch {
                throw startUp.fail(errno: EIO, "cannot read the run ledger: \(error)")
            }
            if let first = active.first {
                throw startUp.fail(
                    errno: EBUSY,
                    "cannot run without a cluster: the ledger holds \(active.count) active kubernetes run(s), such as run \(first.id.rawValue) of \(first.job); start with the cluster to re-attach them")
            }
            byKind[.kubernetes] = UnavailableExecutor(reason: WithoutCluster.reason)
            if !kubernetesNames.isEmpty {
                logger.warning("running without a cluster: the runs of the \(kubernetesNames.count) kubernetes job(s) will fail")
            }
        } else if !kubernetesJobs.all.isEmpty || configuration.namesACluster {
            var client: KubeClient
            do {
                let connection = try await ClusterConnection.resolve(
                    configuration.cluster, environment: environment, awsTransport: CurlTransport(), now: { Date() })
                client = connection.makeClient()
                if let metrics { client.requestObserver = { verb, failed in metrics.countAPIRequest(verb: verb, failed: failed) } }
            } catch {
                throw startUp.fail(
                    errno: EHOSTUNREACH, "cannot find the cluster for the kubernetes jobs: \(error)",
                    status: "cannot find the cluster: \(error)")
            }
            let rates = FargateRates(environment: environment, logger: logger)
            let executor = KubernetesExecutor(
                client: client, settings: { kubernetesJobs.settings(of: $0) }, journal: writer, clock: clock, logger: logger,
                onReport: { report in
                    await record(report, rates: rates, in: ledger, on: thread, clock: clock, logger: logger)
                    metrics?.billed(PodReport(report, rates: rates), job: report.slot.job)
                },
                host: configuration.hostName)
            byKind[.kubernetes] = executor
            kubernetes = (executor, client)
            sweeper = SweepService(
                executor: executor, jobs: kubernetesJobs, ready: ready, interval: max(.seconds(1), configuration.gcInterval),
                logger: logger)
        }
        for job in jobs where byKind[job.executor] == nil {
            logger.error("job \(job.name) uses the \(job.executor) executor, which this daemon does not have; its runs will fail")
        }
        return Executors(
            byKind: byKind, kubernetes: kubernetes, kubernetesJobs: kubernetesJobs, sweeper: sweeper,
            withoutCluster: configuration.withoutCluster)
    }

    /// Takes a reload's jobs: the kubernetes executor's settings are replaced before the scheduler
    /// learns of the new jobs. A daemon that started with no cluster (it had no `kubernetes` job and
    /// none was named) says so once for each `kubernetes` job a reload adds; one that runs without a
    /// cluster on purpose said at start that such runs fail, and says nothing more.
    func reloaded(_ specs: [Schedules.JobSpec], logger: Logger) {
        let before = Set(kubernetesJobs.all.map(\.jobName))
        kubernetesJobs.replace(with: specs)
        let added = kubernetesJobs.all.map(\.jobName).filter { !before.contains($0) }
        if kubernetes == nil, !withoutCluster, !added.isEmpty {
            logger.error(
                "kubernetes jobs were added (\(added.joined(separator: ", "))), but this daemon started without a cluster: their runs fail until it is restarted")
        }
    }

    /// Keeps what the executor learnt of a finished run (pods, node, billed size and time, price).
    static func record(
        _ report: RunReport, rates: FargateRates?, in ledger: RunLedger, on thread: LedgerThread, clock: any WallClock,
        logger: Logger
    ) async {
        let now = clock.now()
        do { _ = try await thread.run { () throws(LedgerError) in try ledger.record(report, rates: rates, at: now) } } catch {
            logger.error(
                "cannot record what run \(report.run) of \(report.slot.job) cost: \(error)",
                metadata: [JournalField.cronJob: "\(report.slot.job)", JournalField.cronRunID: "\(report.run)"])
        }
    }
}
