import Foundation

/// The values of every `CRON_` setting at one point of a file, starting from the defaults.
///
/// The defaults are documented in the README's settings table; keep the two in step.
struct SettingValues: Hashable, Sendable {
    var timeZone = SettingValues.utc
    var executor = ExecutorKind.kubernetes
    var namespace = "default"
    var image: String? = nil
    // The smallest Fargate size: 0.25 vCPU, and 256Mi + 256Mi for Kubernetes = 0.5 GB.
    var cpu = ResourceQuantity("250m")!
    var memory = ResourceQuantity("256Mi")!
    var template: JobTemplate? = nil
    var serviceAccount: String? = nil
    var concurrency = ConcurrencyPolicy.forbid
    var startingDeadline: Duration? = nil
    var catchUp = CatchUpPolicy.latest
    var timeout: Duration? = nil
    // 0, not Kubernetes' 6: cron jobs are often unsafe to run twice.
    var retries = 0
    var keepSucceeded = 3
    var keepFailed = 1
    var podTTL = Duration.zero
    var pendingTimeout = Duration.seconds(300)
    var isSuspended = false
    var labels: [MetadataEntry] = []
    var annotations: [MetadataEntry] = []

    // Foundation on Linux names TimeZone(identifier: "UTC") "GMT"; "Etc/UTC" keeps a name that
    // says UTC in messages and `check` output.
    static let utc = TimeZone(identifier: "Etc/UTC")!

    /// Why a value was refused: what `Setting.expected` says, or a more precise reason.
    enum Refusal: Error {
        case expected
        case template(ScheduleError.Kind)
    }

    /// Assigns `value` to `setting`; an empty value restores the default.
    /// - Parameter loadTemplate: reads and validates a template path (only called for `CRON_TEMPLATE`).
    mutating func assign(
        _ setting: Setting, _ value: Substring,
        loadTemplate: (String) -> Result<JobTemplate, ScheduleError.Kind>
    ) throws(Refusal) {
        if value.isEmpty {
            let defaults = SettingValues()
            switch setting {
            case .timeZone: timeZone = defaults.timeZone
            case .executor: executor = defaults.executor
            case .namespace: namespace = defaults.namespace
            case .image: image = defaults.image
            case .cpu: cpu = defaults.cpu
            case .memory: memory = defaults.memory
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
        case .catchUp: catchUp = try require(CatchUpPolicy(rawValue: String(value)))
        case .timeout: timeout = value == "none" ? nil : try require(DurationSyntax.parse(value))
        case .retries: retries = try require(Int(value).flatMap { (0...100).contains($0) ? $0 : nil })
        case .keepSucceeded: keepSucceeded = try require(Int(value).flatMap { (0...1000).contains($0) ? $0 : nil })
        case .keepFailed: keepFailed = try require(Int(value).flatMap { (0...1000).contains($0) ? $0 : nil })
        case .podTTL: podTTL = try require(DurationSyntax.parse(value))
        case .pendingTimeout: pendingTimeout = try require(DurationSyntax.parse(value))
        case .suspend: isSuspended = try require(value == "true" ? true : value == "false" ? false : nil)
        case .labels: labels = try require(Syntax.metadata(value, valuesAreLabels: true))
        case .annotations: annotations = try require(Syntax.metadata(value, valuesAreLabels: false))
        }
    }
}
