public import Foundation
public import RunModel
public import Scheduler

/// What the kubernetes executor needs of one job beyond what the scheduler's ``RunRequest`` carries:
/// where and how its Job is made, and how long its objects are kept.
///
/// The command line builds it from the schedule file's job specification (`CRON_NAMESPACE`,
/// `CRON_IMAGE`, `CRON_CPU`, ...); this module never reads schedule files itself.
public struct KubernetesJobSettings: Hashable, Sendable {
    /// The job's name (a DNS-1123 label): the `fargate-cron/job` label and the prefix of Job names.
    public var jobName: String
    /// The namespace the Job is created in (`CRON_NAMESPACE`).
    public var namespace: String
    /// The container image (`CRON_IMAGE`); `nil` when the template supplies it.
    public var image: String?
    /// The container's CPU, as a Kubernetes quantity (`500m`, `0.5`), set as request and limit.
    public var cpu: String?
    /// The container's memory, as a Kubernetes quantity (`1Gi`), set as request and limit.
    public var memory: String?
    /// A `batch/v1` Job manifest as JSON to start from (`CRON_TEMPLATE`, already converted from YAML).
    public var template: Data?
    /// The pod's service account (`CRON_SERVICE_ACCOUNT`).
    public var serviceAccount: String?
    /// The Job's `backoffLimit` (`CRON_RETRIES`).
    public var retries: Int
    /// The Job's `activeDeadlineSeconds` (`CRON_TIMEOUT`), rounded up to whole seconds.
    public var timeout: Duration?
    /// How many succeeded Job objects of this job are kept (`CRON_KEEP_SUCCEEDED`).
    public var keepSucceeded: Int
    /// How many failed Job objects of this job are kept (`CRON_KEEP_FAILED`).
    public var keepFailed: Int
    /// How long a finished pod may live once its logs are read (`CRON_POD_TTL`, default 0).
    public var podTTL: Duration
    /// How long a run may stay Pending before it is failed and its Job deleted (`CRON_PENDING_TIMEOUT`).
    public var pendingTimeout: Duration
    /// What happens when a slot comes while a Job of this job is still active in the cluster.
    public var concurrency: ConcurrencyPolicy
    /// Whether the schedule has a seconds field; Job names then carry the slot in seconds.
    public var scheduleHasSeconds: Bool
    /// Extra labels for the Job and its pod (`CRON_LABELS`); fargate-cron's own labels win.
    public var labels: [String: String]
    /// Extra annotations for the Job and its pod (`CRON_ANNOTATIONS`).
    public var annotations: [String: String]
    /// The container that runs the job's command and whose end is the run's (`CRON_CONTAINER`);
    /// `nil` for the template's first (or, without a template, the one container, named `job`).
    public var mainContainer: String?

    /// Creates settings; the defaults are those of the schedule files (`JobDefaults`).
    public init(
        jobName: String, namespace: String, image: String? = nil, cpu: String? = nil, memory: String? = nil,
        template: Data? = nil, serviceAccount: String? = nil, retries: Int = JobDefaults.retries,
        timeout: Duration? = JobDefaults.timeout, keepSucceeded: Int = JobDefaults.keepSucceeded,
        keepFailed: Int = JobDefaults.keepFailed, podTTL: Duration = JobDefaults.podTTL,
        pendingTimeout: Duration = JobDefaults.pendingTimeout, concurrency: ConcurrencyPolicy = JobDefaults.concurrency,
        scheduleHasSeconds: Bool = false, labels: [String: String] = [:], annotations: [String: String] = [:],
        mainContainer: String? = nil
    ) {
        self.jobName = jobName
        self.namespace = namespace
        self.image = image
        self.cpu = cpu
        self.memory = memory
        self.template = template
        self.serviceAccount = serviceAccount
        self.retries = retries
        self.timeout = timeout
        self.keepSucceeded = keepSucceeded
        self.keepFailed = keepFailed
        self.podTTL = podTTL
        self.pendingTimeout = pendingTimeout
        self.concurrency = concurrency
        self.scheduleHasSeconds = scheduleHasSeconds
        self.labels = labels
        self.annotations = annotations
        self.mainContainer = mainContainer
    }
}
