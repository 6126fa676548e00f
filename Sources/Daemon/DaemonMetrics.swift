public import Foundation
import Ledger
public import Metrics
import RunModel
import Scheduler
import Synchronization

/// The daemon's Prometheus metrics (#17), in one registry that `--metrics-address` serves.
///
/// Every series is labelled by `cron_job` (not `job`: Prometheus sets `job` to the scrape job's
/// name and would rename ours `exported_job`), and the series of a job a reload removes are
/// removed with it, so their number is bounded by the jobs loaded. Counters start at 0 when the
/// daemon starts, as Prometheus counters do; timestamps of the last success and failure are read
/// from the ledger at start.
public final class DaemonMetrics: Sendable {
    /// The registry the endpoint renders.
    public let registry = MetricsRegistry()
    let runs: Counter
    let duration: Histogram
    let lastSuccess: Gauge
    let lastFailure: Gauge
    let active: Gauge
    let nextFire: Gauge
    let overdue: Gauge
    let overdueJobs: Gauge
    let apiRequests: Counter
    let apiErrors: Counter
    let leader: Gauge
    let billedSeconds: Counter
    let cost: Counter
    let deliveries: Counter
    private let schedules = Mutex<[ScheduledJob]>([])

    /// Run durations from a second to a day: cron jobs run from moments to hours.
    static let durationBuckets: [Double] = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21_600, 86_400]

    /// - Parameter now: the clock, for the next fire times computed at scrape time.
    public init(now: @escaping @Sendable () -> Date) {
        runs = registry.counter(
            "fargate_cron_runs_total", help: "Slots that reached a final state, by job and state (succeeded, failed, cancelled, replaced, skipped, missed).",
            labels: ["cron_job", "state"])
        duration = registry.histogram(
            "fargate_cron_run_duration_seconds", help: "How long runs took, from start to end.", labels: ["cron_job"],
            buckets: Self.durationBuckets)
        lastSuccess = registry.gauge(
            "fargate_cron_last_success_timestamp_seconds", help: "When the job last succeeded (Unix time).", labels: ["cron_job"])
        lastFailure = registry.gauge(
            "fargate_cron_last_failure_timestamp_seconds", help: "When a run of the job last failed (Unix time).", labels: ["cron_job"])
        active = registry.gauge("fargate_cron_active_runs", help: "Runs active now.", labels: ["cron_job"])
        nextFire = registry.gauge(
            "fargate_cron_next_fire_timestamp_seconds", help: "The job's next fire time (Unix time); absent while suspended.",
            labels: ["cron_job"])
        overdue = registry.gauge(
            "fargate_cron_overdue", help: "1 while the job is overdue (CRON_ALERT_AFTER), else 0; only jobs that set it.",
            labels: ["cron_job"])
        overdueJobs = registry.gauge("fargate_cron_overdue_jobs", help: "How many jobs are overdue now.")
        apiRequests = registry.counter(
            "fargate_cron_api_requests_total",
            help: "Requests to the Kubernetes API (by verb) and the AWS APIs ecs and logs (by operation).", labels: ["api", "verb"])
        apiErrors = registry.counter(
            "fargate_cron_api_errors_total",
            help: "Requests to the Kubernetes API (by verb) and the AWS APIs (by operation) that failed: no answer, or not 2xx.",
            labels: ["api", "verb"])
        leader = registry.gauge(
            "fargate_cron_leader", help: "1 while this daemon schedules (leads), 0 while it stands by; 1 without an election.")
        billedSeconds = registry.counter(
            "fargate_cron_fargate_billed_seconds_total", help: "Seconds Fargate billed for the job's pods or ECS tasks (reported runs).",
            labels: ["cron_job"])
        cost = registry.counter(
            "fargate_cron_fargate_cost_dollars_total", help: "Estimated price of the job's pods or ECS tasks (FARGATE_CRON_FARGATE_RATES).",
            labels: ["cron_job"])
        deliveries = registry.counter(
            "fargate_cron_alert_deliveries_total", help: "Alert mails and failure hooks, by channel and result.",
            labels: ["channel", "result"])
        leader.set(1)
        overdueJobs.set(0)
        // The registry lives as long as the daemon: holding `self` here is no leak.
        registry.onCollect { [self] in
            let instant = now()
            for job in schedules.withLock({ $0 }) where !job.isSuspended && !job.schedule.isReboot {
                if let next = job.schedule.nextFireDate(after: instant, in: job.zone) {
                    nextFire.set(next.timeIntervalSince1970, labels: [job.name])
                } else {
                    nextFire.remove(job.name)
                }
            }
        }
    }

    /// Takes the jobs loaded now: a job no longer loaded loses its series.
    func jobsLoaded(_ jobs: [ScheduledJob]) {
        let removed = schedules.withLock { current -> Set<String> in
            let gone = Set(current.map(\.name)).subtracting(jobs.map(\.name))
            current = jobs
            return gone
        }
        for name in removed { registry.removeSeries(label: "cron_job", value: name) }
        for job in jobs where job.isSuspended { nextFire.remove(job.name) }
    }

    /// Sets the leadership gauge: for the HA election (`ha`), which feeds it; without one it stays 1.
    public func setLeader(_ leads: Bool) { leader.set(leads ? 1 : 0) }

    /// Adds a reported run's Fargate bill (the ledger's cost columns for it).
    func billed(_ report: PodReport, job: String) {
        if let billed = report.billedDuration { billedSeconds.increment(job, by: Double(billed.components.seconds)) }
        if let price = report.estimatedPrice { cost.increment(job, by: Double(price.microdollars) / 1_000_000) }
    }

    /// Counts one request to `api`: `kubernetes` with its verb (`get`, `list`, `watch`, `create`,
    /// `delete`, …), or an AWS API (`ecs`, `logs`) with its operation (`RunTask`, `GetLogEvents`, …).
    public func countAPIRequest(api: String = "kubernetes", verb: String, failed: Bool) {
        apiRequests.increment(api, verb)
        if failed { apiErrors.increment(api, verb) }
    }
}
