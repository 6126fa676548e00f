import FargateExecutor
import Foundation
import Kubernetes
import Ledger
import Logging
import RunModel
import Scheduler
import ServiceLifecycle
import Synchronization
import Systemd

/// One term of leadership, from winning the Lease to losing it or stopping: the term adopts what
/// the previous leader left in the cluster (``ClusterAdoption``), then runs its own scheduler, the
/// kubernetes executor's followers and the garbage-collection sweep in a service group of its own
/// until ``stop()``. A term is never restarted: the next one builds everything afresh, so nothing of
/// a lost term (a follower about to delete a pod, a start in flight) can act in the next.
///
/// Its Kubernetes client is leader-only: once leadership ends, not one more Job is created and no
/// pod or Job deleted, even by a task that has not heard of it yet.
final class LeaderTerm: Sendable {
    /// The term's scheduler.
    let scheduler: Scheduler
    /// The term's executors (for `status`, `trigger` and `gc` answered while it leads).
    let executors: Executors
    /// Set when ``run()`` has returned.
    let finished = Latch<Void>()
    private let adoption: ClusterAdoption
    private let previousLeader: String?
    private let group: ServiceGroup
    private let stopping = Atomic<Bool>(false)
    private let retryPeriod: Duration
    private let logger: Logger
    private let metrics: DaemonMetrics

    /// What every term is built from: the daemon's parts that outlive terms.
    struct Parts: Sendable {
        var client: KubeClient
        var ledger: RunLedger
        var thread: LedgerThread
        var kubernetesJobs: KubernetesJobTable
        var local: any Executor
        var writer: EntryWriter
        var clock: any WallClock
        var limits: SchedulerLimits
        var gcInterval: Duration
        var hostName: String?
        var retryPeriod: Duration
        var rates: FargateRates?
        /// Mail, hooks, metrics and the overdue watch (the watch runs only while this host leads).
        var alerting: DaemonAlerting
        var logger: Logger
    }

    /// Builds a term; nothing runs until ``run()``.
    /// - Parameters:
    ///   - jobs: the jobs loaded now.
    ///   - previousLeader: the host that led before, if known.
    ///   - hooks: the scheduler's hooks (journal events, `STATUS=`, watchdog).
    init(parts: Parts, jobs: [ScheduledJob], previousLeader: String?, hooks: SchedulerHooks) {
        let ready = Latch<Void>()
        let ledger = parts.ledger, thread = parts.thread, clock = parts.clock, logger = parts.logger, rates = parts.rates
        let table = parts.kubernetesJobs, alerting = parts.alerting
        let executor = KubernetesExecutor(
            client: parts.client, settings: { table.settings(of: $0) }, journal: parts.writer, clock: clock, logger: logger,
            onReport: { report in
                await Executors.record(report, rates: rates, in: ledger, on: thread, clock: clock, logger: logger)
                alerting.metrics.billed(PodReport(report, rates: rates), job: report.slot.job)
            },
            host: parts.hostName)
        let sweeper = SweepService(
            executor: executor, jobs: table, ready: ready, interval: max(.seconds(1), parts.gcInterval), logger: logger)
        executors = Executors(
            byKind: [.local: parts.local, .kubernetes: executor], kubernetes: (executor, parts.client),
            kubernetesJobs: table, sweeper: sweeper, withoutCluster: false)
        let termHooks = SchedulerHooks(
            ready: {
                ready.set(())
                hooks.ready()
            },
            heartbeat: hooks.heartbeat, event: hooks.event)
        scheduler = Scheduler(
            jobs: jobs, clock: clock, store: LedgerRunStore(ledger: ledger, clock: clock, thread: thread),
            executors: executors.byKind, output: AlertingOutput(journal: JournalOutput(writer: parts.writer), alerts: alerting.alerts),
            limits: parts.limits,
            hooks: termHooks, logger: logger)
        adoption = ClusterAdoption(
            client: parts.client, ledger: ledger, thread: thread, jobs: table, clock: clock, logger: logger)
        self.previousLeader = previousLeader
        retryPeriod = parts.retryPeriod
        self.logger = logger
        self.metrics = alerting.metrics
        let overdue = alerting.overdueWatch(ledger: ledger, thread: thread, clock: clock, ready: ready, notBefore: clock.now())
        group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: executors.services + [.init(service: scheduler), .init(service: sweeper), overdue],
                logger: logger))
    }

    /// Adopts, then schedules until ``stop()``.
    func run() async {
        metrics.setLeader(true)
        defer {
            metrics.setLeader(false)
            finished.set(())
        }
        var attempt = 0
        while !stopping.load(ordering: .relaxed) && !Task.isCancelled {
            do {
                let adopted = try await adoption.adopt(previousLeader: previousLeader)
                if adopted > 0 { logger.notice("adopted \(adopted) run(s) from the cluster before scheduling") }
                break
            } catch {
                // Scheduling without knowing what the previous leader started could start a slot again.
                attempt += 1
                logger.error("cannot read the cluster to adopt the previous leader's runs (attempt \(attempt)), trying again: \(error)")
                do { try await Task.sleep(for: retryPeriod) } catch { return }
            }
        }
        guard !stopping.load(ordering: .relaxed), !Task.isCancelled else { return }
        do { try await group.run() } catch {
            logger.error("the leader's scheduling stopped with an error: \(error)")
        }
    }

    /// Ends the term: the scheduler stops, the followers are cancelled (their runs go on in the
    /// cluster, for the next leader), the sweep ends. Returns at once; ``finished`` says when it is done.
    func stop() async {
        guard !stopping.exchange(true, ordering: .relaxed) else { return }
        await group.triggerGracefulShutdown()
    }
}
