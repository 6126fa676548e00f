public import Foundation
public import RunModel

/// The values of every `CRON_` setting at one point of a file, starting from the defaults.
///
/// A job has the values in force at its line; read them on the job itself (`job.timeZone`,
/// `job.cpu`: `JobSpec` looks them up here). The defaults of settings other modules read too come
/// from `JobDefaults`; all are documented in the README's settings table; keep the two in step.
public struct SettingValues: Hashable, Sendable {
    /// The zone the schedule is read in (`CRON_TZ`, default UTC).
    public var timeZone = SettingValues.utc
    /// Which executor starts the job (`CRON_EXECUTOR`).
    public var executor = JobDefaults.executor
    /// The Kubernetes namespace (`CRON_NAMESPACE`).
    public var namespace = JobDefaults.namespace
    /// The container image (`CRON_IMAGE`); `nil` when the template or the local executor supplies it.
    public var image: String? = nil
    /// The container's CPU request and limit (`CRON_CPU`). With the memory default, the smallest
    /// Fargate size: 0.25 vCPU, and 256Mi + 256Mi for Kubernetes = 0.5 GB.
    public var cpu = ResourceQuantity("250m")! { didSet { cpuIsAssigned = true } }
    /// The container's memory request and limit (`CRON_MEMORY`).
    public var memory = ResourceQuantity("256Mi")! { didSet { memoryIsAssigned = true } }
    /// Whether the file assigns `CRON_CPU` (then it wins over the template's main container's own CPU).
    public private(set) var cpuIsAssigned = false
    /// Whether the file assigns `CRON_MEMORY`.
    public private(set) var memoryIsAssigned = false
    /// The template's container that runs the job's command and whose end is the run's
    /// (`CRON_CONTAINER`); `nil` for the first.
    public var container: String? = nil
    /// The Job manifest to start from (`CRON_TEMPLATE`).
    public var template: JobTemplate? = nil
    /// The pod's service account (`CRON_SERVICE_ACCOUNT`); `nil` for the namespace's default.
    public var serviceAccount: String? = nil
    /// What to do when a run is due while the previous one is still active (`CRON_CONCURRENCY`).
    public var concurrency = JobDefaults.concurrency
    /// How late a run may still start (`CRON_STARTING_DEADLINE`); `nil` for no limit.
    public var startingDeadline = JobDefaults.startingDeadline
    /// What to do with slots missed while the daemon was down (`CRON_CATCH_UP`).
    public var catchUp = JobDefaults.catchUp
    /// The run's active deadline (`CRON_TIMEOUT`); `nil` for none.
    public var timeout = JobDefaults.timeout
    /// The Job's backoff limit (`CRON_RETRIES`); 0, not Kubernetes' 6: cron jobs are often unsafe to run twice.
    public var retries = JobDefaults.retries
    /// How many succeeded Jobs to keep (`CRON_KEEP_SUCCEEDED`).
    public var keepSucceeded = JobDefaults.keepSucceeded
    /// How many failed Jobs to keep (`CRON_KEEP_FAILED`).
    public var keepFailed = JobDefaults.keepFailed
    /// How long a finished pod may live after its logs are read (`CRON_POD_TTL`).
    public var podTTL = JobDefaults.podTTL
    /// How long a run may stay Pending before it is failed and cleaned up (`CRON_PENDING_TIMEOUT`).
    public var pendingTimeout = JobDefaults.pendingTimeout
    /// Whether new runs are not started (`CRON_SUSPEND`).
    public var isSuspended = JobDefaults.isSuspended
    /// Labels for the Job and its pod (`CRON_LABELS`), in the order written.
    public var labels: [MetadataEntry] = []
    /// Annotations for the Job and its pod (`CRON_ANNOTATIONS`), in the order written.
    public var annotations: [MetadataEntry] = []
    /// The `CRON_ECS_` settings of an ecs job.
    public var ecs = ECSSettings()
    /// Where the job's alerts are mailed (`MAILTO`); empty: no mail (`MAILTO=""`, or none set, as
    /// no local user owns the file here).
    public var mailTo: [String] = []
    /// The sender of the job's mail (`MAILFROM`); `nil` for `fargate-cron@HOST`.
    public var mailFrom: String? = nil
    /// When the job's runs are mailed (`CRON_MAIL`).
    public var mail = MailPolicy.failure
    /// A host command run after a failed, lost or unstartable run and when the job becomes overdue
    /// (`CRON_ON_FAILURE`).
    public var onFailure: String? = nil
    /// How long `CRON_ON_FAILURE` may run before it is stopped (`CRON_ON_FAILURE_TIMEOUT`).
    public var onFailureTimeout = Duration.seconds(60)
    /// How long the job may go without a success before it is overdue (`CRON_ALERT_AFTER`); `nil`: never.
    public var alertAfter: Duration? = nil

    // Foundation on Linux names TimeZone(identifier: "UTC") "GMT"; "Etc/UTC" keeps a name that
    // says UTC in messages and `check` output.
    static let utc = TimeZone(identifier: "Etc/UTC")!

    /// Why a value was refused: what `Setting.expected` says, or a more precise reason.
    enum Refusal: Error {
        case expected
        /// A precise reason, reported as it is (a template's problem, a reserved label).
        case template(ScheduleError.Kind)
        /// One entry of a list (`CRON_ECS_SUBNETS`) is wrong: located at its byte offset in the value.
        case listEntry(offset: Int, ScheduleError.Kind)
    }

    /// Assigns `value` to `setting`; an empty value restores the default.
    /// - Parameter loadTemplate: reads and validates a template path (only called for `CRON_TEMPLATE`).
    mutating func assign(
        _ setting: Setting, _ value: Substring,
        loadTemplate: (String) -> Result<JobTemplate, ScheduleError.Kind>
    ) throws(Refusal) {
        if setting.isECS { return try assignECS(setting, value) }
        if value.isEmpty {
            let defaults = SettingValues()
            switch setting {
            case .timeZone: timeZone = defaults.timeZone
            case .executor: executor = defaults.executor
            case .namespace: namespace = defaults.namespace
            case .image: image = defaults.image
            case .cpu:
                cpu = defaults.cpu
                cpuIsAssigned = false
            case .memory:
                memory = defaults.memory
                memoryIsAssigned = false
            case .template: template = defaults.template
            case .serviceAccount: serviceAccount = defaults.serviceAccount
            case .concurrency: concurrency = defaults.concurrency
            case .startingDeadline: startingDeadline = defaults.startingDeadline
            case .catchUp: catchUp = defaults.catchUp
            case .timeout: timeout = defaults.timeout
            case .retries: retries = defaults.retries
            case .keepSucceeded: keepSucceeded = defaults.keepSucceeded
            case .keepFailed: keepFailed = defaults.keepFailed
            case .podTTL: podTTL = defaults.podTTL
            case .pendingTimeout: pendingTimeout = defaults.pendingTimeout
            case .suspend: isSuspended = defaults.isSuspended
            case .labels: labels = defaults.labels
            case .annotations: annotations = defaults.annotations
            case .mailTo: mailTo = defaults.mailTo
            case .mailFrom: mailFrom = defaults.mailFrom
            case .mail: mail = defaults.mail
            case .onFailure: onFailure = defaults.onFailure
            case .onFailureTimeout: onFailureTimeout = defaults.onFailureTimeout
            case .alertAfter: alertAfter = defaults.alertAfter
            case .container: container = defaults.container
            default: preconditionFailure("\(setting.rawValue) is assigned by assignECS")
            }
            return
        }
        func require<T>(_ parsed: T?) throws(Refusal) -> T {
            guard let parsed else { throw .expected }
            return parsed
        }
        switch setting {
        case .timeZone: timeZone = try require(value == "UTC" ? SettingValues.utc : TimeZone(identifier: String(value)))
        case .executor: executor = try require(ExecutorKind(rawValue: String(value)))
        case .namespace: namespace = try require(Syntax.isDNSLabel(value) ? String(value) : nil)
        case .image: image = try require(value.contains(where: { $0 == " " || $0 == "\t" }) ? nil : String(value))
        case .cpu: cpu = try require(ResourceQuantity(value).flatMap { $0.milliValue > 0 ? $0 : nil })
        case .memory: memory = try require(ResourceQuantity(value).flatMap { $0.milliValue > 0 ? $0 : nil })
        case .template:
            switch loadTemplate(String(value)) {
            case .success(let loaded): template = loaded
            case .failure(let kind): throw .template(kind)
            }
        case .serviceAccount: serviceAccount = try require(Syntax.isDNSSubdomain(value) ? String(value) : nil)
        case .concurrency: concurrency = try require(ConcurrencyPolicy(rawValue: String(value)))
        case .startingDeadline: startingDeadline = value == "none" ? nil : try require(DurationSyntax.parse(value))
        case .catchUp: catchUp = try require(CatchUpPolicy(settingValue: String(value)))
        case .timeout: timeout = value == "none" ? nil : try require(DurationSyntax.parse(value))
        case .retries: retries = try require(Int(value).flatMap { (0...100).contains($0) ? $0 : nil })
        case .keepSucceeded: keepSucceeded = try require(Int(value).flatMap { (0...1000).contains($0) ? $0 : nil })
        case .keepFailed: keepFailed = try require(Int(value).flatMap { (0...1000).contains($0) ? $0 : nil })
        case .podTTL: podTTL = try require(DurationSyntax.parse(value))
        case .pendingTimeout: pendingTimeout = try require(DurationSyntax.parse(value))
        case .suspend: isSuspended = try require(value == "true" ? true : value == "false" ? false : nil)
        case .labels:
            let entries = try require(Syntax.metadata(value, valuesAreLabels: true))
            if let reserved = entries.first(where: { TemplateRules.reservedLabels.contains($0.key) }) {
                throw .template(.reservedLabel(reserved.key))
            }
            labels = entries
        case .annotations: annotations = try require(Syntax.metadata(value, valuesAreLabels: false))
        case .mailTo: mailTo = try require(MailPolicy.addresses(value))
        case .mailFrom: mailFrom = try require(MailPolicy.addresses(value).flatMap { $0.count == 1 ? $0[0] : nil })
        case .mail: mail = try require(MailPolicy(rawValue: String(value)))
        case .onFailure: onFailure = String(value)
        case .onFailureTimeout: onFailureTimeout = try require(DurationSyntax.parse(value).flatMap { $0 > .zero ? $0 : nil })
        case .alertAfter:
            alertAfter = value == "none" ? nil : try require(DurationSyntax.parse(value).flatMap { $0 > .zero ? $0 : nil })
        case .container: container = try require(Syntax.isDNSLabel(value) ? String(value) : nil)
        default: preconditionFailure("\(setting.rawValue) is assigned by assignECS")
        }
    }
}
