public import Foundation

/// The settings and environment a job takes from the lines above it, shared by every job of a file
/// written under the same ones.
///
/// Immutable: changing one setting of one job gives that job a new instance, so sharing is never seen.
final class InheritedSettings: Sendable {
    let values: SettingValues
    let environment: [EnvironmentVariable]

    init(values: SettingValues, environment: [EnvironmentVariable]) {
        self.values = values
        self.environment = environment
    }

    /// Whether both hold the same settings and environment.
    func hasSameContent(as other: InheritedSettings) -> Bool {
        self === other || (values == other.values && environment == other.environment)
    }

    /// These settings with one change, as a new instance.
    func with(_ change: (inout SettingValues) -> Void) -> InheritedSettings {
        var values = values
        change(&values)
        return InheritedSettings(values: values, environment: environment)
    }
}

extension JobSpec {
    /// The zone the schedule is read in (`CRON_TZ`, default UTC).
    public var timeZone: TimeZone {
        get { inherited.values.timeZone }
        set { inherited = inherited.with { $0.timeZone = newValue } }
    }
    /// The container's environment: the file's non-`CRON_` assignments above the job, in order.
    public var environment: [EnvironmentVariable] {
        get { inherited.environment }
        set { inherited = InheritedSettings(values: inherited.values, environment: newValue) }
    }
    /// Which executor starts the job (`CRON_EXECUTOR`).
    public var executor: ExecutorKind {
        get { inherited.values.executor }
        set { inherited = inherited.with { $0.executor = newValue } }
    }
    /// The Kubernetes namespace (`CRON_NAMESPACE`).
    public var namespace: String {
        get { inherited.values.namespace }
        set { inherited = inherited.with { $0.namespace = newValue } }
    }
    /// The container image (`CRON_IMAGE`); `nil` when the template or the local executor supplies it.
    public var image: String? {
        get { inherited.values.image }
        set { inherited = inherited.with { $0.image = newValue } }
    }
    /// The container's CPU request and limit (`CRON_CPU`).
    public var cpu: ResourceQuantity {
        get { inherited.values.cpu }
        set { inherited = inherited.with { $0.cpu = newValue } }
    }
    /// The container's memory request and limit (`CRON_MEMORY`).
    public var memory: ResourceQuantity {
        get { inherited.values.memory }
        set { inherited = inherited.with { $0.memory = newValue } }
    }
    /// The Job manifest to start from (`CRON_TEMPLATE`).
    public var template: JobTemplate? {
        get { inherited.values.template }
        set { inherited = inherited.with { $0.template = newValue } }
    }
    /// The pod's service account (`CRON_SERVICE_ACCOUNT`); `nil` for the namespace's default.
    public var serviceAccount: String? {
        get { inherited.values.serviceAccount }
        set { inherited = inherited.with { $0.serviceAccount = newValue } }
    }
    /// What to do when a run is due while the previous one is still active (`CRON_CONCURRENCY`).
    public var concurrency: ConcurrencyPolicy {
        get { inherited.values.concurrency }
        set { inherited = inherited.with { $0.concurrency = newValue } }
    }
    /// How late a run may still start (`CRON_STARTING_DEADLINE`); `nil` for no limit.
    public var startingDeadline: Duration? {
        get { inherited.values.startingDeadline }
        set { inherited = inherited.with { $0.startingDeadline = newValue } }
    }
    /// What to do with slots missed while the daemon was down (`CRON_CATCH_UP`).
    public var catchUp: CatchUpPolicy {
        get { inherited.values.catchUp }
        set { inherited = inherited.with { $0.catchUp = newValue } }
    }
    /// The run's active deadline (`CRON_TIMEOUT`); `nil` for none.
    public var timeout: Duration? {
        get { inherited.values.timeout }
        set { inherited = inherited.with { $0.timeout = newValue } }
    }
    /// The Job's backoff limit (`CRON_RETRIES`).
    public var retries: Int {
        get { inherited.values.retries }
        set { inherited = inherited.with { $0.retries = newValue } }
    }
    /// How many succeeded Jobs to keep (`CRON_KEEP_SUCCEEDED`).
    public var keepSucceeded: Int {
        get { inherited.values.keepSucceeded }
        set { inherited = inherited.with { $0.keepSucceeded = newValue } }
    }
    /// How many failed Jobs to keep (`CRON_KEEP_FAILED`).
    public var keepFailed: Int {
        get { inherited.values.keepFailed }
        set { inherited = inherited.with { $0.keepFailed = newValue } }
    }
    /// How long a finished pod may live after its logs are read (`CRON_POD_TTL`).
    public var podTTL: Duration {
        get { inherited.values.podTTL }
        set { inherited = inherited.with { $0.podTTL = newValue } }
    }
    /// How long a run may stay Pending before it is failed and cleaned up (`CRON_PENDING_TIMEOUT`).
    public var pendingTimeout: Duration {
        get { inherited.values.pendingTimeout }
        set { inherited = inherited.with { $0.pendingTimeout = newValue } }
    }
    /// Whether new runs are not started (`CRON_SUSPEND`).
    public var isSuspended: Bool {
        get { inherited.values.isSuspended }
        set { inherited = inherited.with { $0.isSuspended = newValue } }
    }
    /// Labels for the Job and its pod (`CRON_LABELS`), in the order written.
    public var labels: [MetadataEntry] {
        get { inherited.values.labels }
        set { inherited = inherited.with { $0.labels = newValue } }
    }
    /// Annotations for the Job and its pod (`CRON_ANNOTATIONS`), in the order written.
    public var annotations: [MetadataEntry] {
        get { inherited.values.annotations }
        set { inherited = inherited.with { $0.annotations = newValue } }
    }
}
