/// The default of each setting that more than one module reads, in one place: the schedule files
/// (`SettingValues`), the scheduler (`ScheduledJob`) and the kubernetes executor
/// (`KubernetesJobSettings`) all start from these, so they cannot disagree. The README's settings
/// table documents them; keep the two in step.
public enum JobDefaults {
    /// `CRON_EXECUTOR`: a Kubernetes Job on EKS Fargate.
    public static let executor = ExecutorKind.kubernetes
    /// `CRON_CONCURRENCY`: runs never overlap.
    public static let concurrency = ConcurrencyPolicy.forbid
    /// `CRON_CATCH_UP`: the most recent missed slot runs once.
    public static let catchUp = CatchUpPolicy.latest
    /// `CRON_STARTING_DEADLINE`: none, a run may start however late.
    public static let startingDeadline: Duration? = nil
    /// `CRON_TIMEOUT`: none.
    public static let timeout: Duration? = nil
    /// `CRON_SUSPEND`: not suspended.
    public static let isSuspended = false
    /// `CRON_NAMESPACE`.
    public static let namespace = "default"
    /// `CRON_RETRIES`: 0, not Kubernetes' 6: cron jobs are often unsafe to run twice.
    public static let retries = 0
    /// `CRON_KEEP_SUCCEEDED`: succeeded Jobs kept for inspection.
    public static let keepSucceeded = 3
    /// `CRON_KEEP_FAILED`: failed Jobs kept for inspection.
    public static let keepFailed = 1
    /// `CRON_POD_TTL`: a finished pod is deleted as soon as its output is read.
    public static let podTTL = Duration.zero
    /// `CRON_PENDING_TIMEOUT`: a run still Pending after five minutes is failed and cleaned up.
    public static let pendingTimeout = Duration.seconds(300)
}
