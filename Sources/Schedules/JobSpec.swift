public import CronExpression
public import Foundation

/// One job from a schedule file, validated and typed: everything the daemon needs to run it.
///
/// A job spec never makes a job fire by itself: loading or reloading one only tells the scheduler
/// what the job is. The scheduler computes the first fire time strictly after the moment it learns
/// of the job (or of its new schedule); missed slots are caught up, per `catchUp`, only from the
/// job's last run in the ledger. See `ScheduleReload`.
public struct JobSpec: Hashable, Sendable {
    /// The job's name, unique across all schedule files.
    public var name: JobName
    /// When the job fires; `H` in it is hashed from the job's name.
    public var schedule: CronExpression
    /// The zone the schedule is read in (`CRON_TZ`, default UTC).
    public var timeZone: TimeZone
    /// The command, run as `/bin/sh -c COMMAND`; `\%` is already a plain `%`.
    public var command: String
    /// The container's environment: the file's non-`CRON_` assignments above the job, in order.
    public var environment: [EnvironmentVariable]
    /// Which executor starts the job (`CRON_EXECUTOR`).
    public var executor: ExecutorKind
    /// The Kubernetes namespace (`CRON_NAMESPACE`).
    public var namespace: String
    /// The container image (`CRON_IMAGE`); `nil` when the template or the local executor supplies it.
    public var image: String?
    /// The container's CPU request and limit (`CRON_CPU`).
    public var cpu: ResourceQuantity
    /// The container's memory request and limit (`CRON_MEMORY`).
    public var memory: ResourceQuantity
    /// The Job manifest to start from (`CRON_TEMPLATE`).
    public var template: JobTemplate?
    /// The pod's service account (`CRON_SERVICE_ACCOUNT`); `nil` for the namespace's default.
    public var serviceAccount: String?
    /// What to do when a run is due while the previous one is still active (`CRON_CONCURRENCY`).
    public var concurrency: ConcurrencyPolicy
    /// How late a run may still start (`CRON_STARTING_DEADLINE`); `nil` for no limit.
    public var startingDeadline: Duration?
    /// What to do with slots missed while the daemon was down (`CRON_CATCH_UP`).
    public var catchUp: CatchUpPolicy
    /// The run's active deadline (`CRON_TIMEOUT`); `nil` for none.
    public var timeout: Duration?
    /// The Job's backoff limit (`CRON_RETRIES`).
    public var retries: Int
    /// How many succeeded Jobs to keep (`CRON_KEEP_SUCCEEDED`).
    public var keepSucceeded: Int
    /// How many failed Jobs to keep (`CRON_KEEP_FAILED`).
    public var keepFailed: Int
    /// How long a finished pod may live after its logs are read (`CRON_POD_TTL`).
    public var podTTL: Duration
    /// How long a run may stay Pending before it is failed and cleaned up (`CRON_PENDING_TIMEOUT`).
    public var pendingTimeout: Duration
    /// Whether new runs are not started (`CRON_SUSPEND`).
    public var isSuspended: Bool
    /// Labels for the Job and its pod (`CRON_LABELS`), in the order written.
    public var labels: [MetadataEntry]
    /// Annotations for the Job and its pod (`CRON_ANNOTATIONS`), in the order written.
    public var annotations: [MetadataEntry]
    /// Where the job's line is.
    public var location: SourceLocation

    /// The size Fargate bills a run of this job as, or `nil` when none fits.
    public var fargateSize: FargateSize? { FargateSize.billed(cpu: cpu, memory: memory) }
}

/// One `NAME=value` of a job's environment.
public struct EnvironmentVariable: Hashable, Sendable, Codable {
    public var name: String
    public var value: String
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// One `key=value` label or annotation.
public struct MetadataEntry: Hashable, Sendable, Codable {
    public var key: String
    public var value: String
    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}

/// Which executor starts a job's runs.
public enum ExecutorKind: String, Hashable, Sendable, CaseIterable, Codable {
    /// A Kubernetes Job on an EKS Fargate profile (the default).
    case kubernetes
    /// An ECS task with launch type FARGATE.
    case ecs
    /// A child process on this host, for tests and for jobs that must stay local.
    case local
}

/// What to do when a run is due while the previous run of the job is still active.
public enum ConcurrencyPolicy: String, Hashable, Sendable, CaseIterable, Codable {
    /// Skip the new run (the default): runs never overlap.
    case forbid
    /// Start it anyway.
    case allow
    /// Cancel the active run, then start the new one.
    case replace
}

/// What to do with the slots a job missed while the daemon was not running.
public enum CatchUpPolicy: String, Hashable, Sendable, CaseIterable, Codable {
    /// Run none of them; wait for the next slot.
    case skip
    /// Run the most recent missed slot once (the default), as Kubernetes' CronJob does.
    case latest
    /// Run every missed slot, oldest first, at most `CatchUpPolicy.maximumRuns` of them.
    case all

    /// The bound on `all`: Kubernetes' CronJob controller gives up past 100 missed slots too.
    public static let maximumRuns = 100
}
