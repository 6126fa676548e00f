/// The `CRON_` settings a schedule file may assign: a closed list, so that a typo is an error.
///
/// An assignment applies to the job lines below it in the same file. An empty value (`CRON_IMAGE=`)
/// puts the setting back to its default.
public enum Setting: String, CaseIterable, Hashable, Sendable {
    case timeZone = "CRON_TZ"
    case executor = "CRON_EXECUTOR"
    case namespace = "CRON_NAMESPACE"
    case image = "CRON_IMAGE"
    case cpu = "CRON_CPU"
    case memory = "CRON_MEMORY"
    case template = "CRON_TEMPLATE"
    case serviceAccount = "CRON_SERVICE_ACCOUNT"
    case concurrency = "CRON_CONCURRENCY"
    case startingDeadline = "CRON_STARTING_DEADLINE"
    case catchUp = "CRON_CATCH_UP"
    case timeout = "CRON_TIMEOUT"
    case retries = "CRON_RETRIES"
    case keepSucceeded = "CRON_KEEP_SUCCEEDED"
    case keepFailed = "CRON_KEEP_FAILED"
    case podTTL = "CRON_POD_TTL"
    case pendingTimeout = "CRON_PENDING_TIMEOUT"
    case suspend = "CRON_SUSPEND"
    case labels = "CRON_LABELS"
    case annotations = "CRON_ANNOTATIONS"
    // ECS (`CRON_EXECUTOR=ecs`): see ECSSettings.
    case ecsCluster = "CRON_ECS_CLUSTER"
    case ecsSubnets = "CRON_ECS_SUBNETS"
    case ecsSecurityGroups = "CRON_ECS_SECURITY_GROUPS"
    case ecsAssignPublicIP = "CRON_ECS_ASSIGN_PUBLIC_IP"
    case ecsTaskDefinition = "CRON_ECS_TASK_DEFINITION"
    case ecsContainer = "CRON_ECS_CONTAINER"
    case ecsCapacityProviders = "CRON_ECS_CAPACITY_PROVIDERS"
    case ecsPlatformVersion = "CRON_ECS_PLATFORM_VERSION"
    case ecsExecutionRole = "CRON_ECS_EXECUTION_ROLE"
    case ecsTaskRole = "CRON_ECS_TASK_ROLE"
    case ecsLogGroup = "CRON_ECS_LOG_GROUP"
    case ecsLogStreamPrefix = "CRON_ECS_LOG_STREAM_PREFIX"
    // Alerting (#17). MAILTO and MAILFROM keep cron's names: a host crontab's MAILTO= means what it
    // meant there, and is not passed to the container.
    case mailTo = "MAILTO"
    case mailFrom = "MAILFROM"
    case mail = "CRON_MAIL"
    case onFailure = "CRON_ON_FAILURE"
    case onFailureTimeout = "CRON_ON_FAILURE_TIMEOUT"
    case alertAfter = "CRON_ALERT_AFTER"

    /// The settings whose names do not start with `CRON_` (cron's own).
    static let cronNames: Set<String> = [Setting.mailTo.rawValue, Setting.mailFrom.rawValue]
    case container = "CRON_CONTAINER"

    /// What a value must look like, as messages say it ("expected …").
    public var expected: String {
        switch self {
        case .timeZone: "an IANA time zone name such as Asia/Tokyo or UTC"
        case .executor: "kubernetes, ecs or local"
        case .namespace: "a DNS-1123 label (lowercase letters, digits and '-', at most 63)"
        case .image: "an image reference without spaces"
        case .cpu: "a positive Kubernetes quantity such as 0.5, 500m or 2"
        case .memory: "a positive Kubernetes quantity such as 512Mi, 1Gi or 1.5Gi"
        case .template: "a path to a YAML file, relative to this file"
        case .serviceAccount: "a DNS-1123 subdomain (lowercase letters, digits, '-' and '.')"
        case .concurrency: "forbid, allow or replace"
        case .startingDeadline, .timeout: "a duration such as 90s, 15m or 1h30m, or 'none'"
        case .catchUp: "skip, latest or all"
        case .retries: "a whole number from 0 to 100"
        case .keepSucceeded, .keepFailed: "a whole number from 0 to 1000"
        case .podTTL, .pendingTimeout: "a duration such as 90s, 15m or 1h30m"
        case .suspend: "true or false"
        case .labels:
            "comma-separated key=value pairs; keys are [prefix/]name, values at most 63 of [A-Za-z0-9._-]"
        case .annotations: "comma-separated key=value pairs with keys [prefix/]name"
        case .ecsCluster: "a cluster name (letters, digits, '-', '_') or a cluster ARN"
        case .ecsSubnets: "comma-separated subnet ids (subnet-0123abcd), at most \(ECSSettings.maximumSubnets)"
        case .ecsSecurityGroups: "comma-separated security group ids (sg-0123abcd), at most \(ECSSettings.maximumSecurityGroups)"
        case .ecsAssignPublicIP: "true or false"
        case .ecsTaskDefinition: "a task definition family, family:revision or ARN"
        case .ecsContainer: "a container name (letters, digits, '-', '_')"
        case .ecsCapacityProviders:
            "comma-separated FARGATE or FARGATE_SPOT, each with an optional :weight (0-1000) and :base, one weight above 0"
        case .ecsPlatformVersion: "LATEST or a version such as 1.4.0"
        case .ecsExecutionRole, .ecsTaskRole: "an IAM role ARN (arn:aws:iam::123456789012:role/NAME)"
        case .ecsLogGroup: "a CloudWatch Logs group name (letters, digits, '_', '-', '/', '.', '#')"
        case .ecsLogStreamPrefix: "a log stream prefix without spaces, ':' or '*'"
        case .mailTo: "comma-separated mail addresses (letters, digits and @!%-._+), or \"\" for no mail"
        case .mailFrom: "one mail address (letters, digits and @!%-._+)"
        case .mail: "failure, always or never"
        case .onFailure: "a command for /bin/sh"
        case .onFailureTimeout: "a duration such as 30s or 5m, more than 0"
        case .alertAfter: "a duration such as 26h or 1d2h, more than 0, or 'none'"
        case .container: "the name of a container of the job's template (a DNS-1123 label)"
        }
    }

    /// What one entry of a list setting must look like.
    var expectedEntry: String {
        switch self {
        case .ecsSubnets: "a subnet id: subnet- and 8 or 17 hex digits"
        case .ecsSecurityGroups: "a security group id: sg- and 8 or 17 hex digits"
        case .ecsCapacityProviders: "FARGATE or FARGATE_SPOT, with an optional :weight (0-1000) and :base (0-100000)"
        default: expected
        }
    }

    /// Whether the setting is one of ECS's (`CRON_ECS_`), for `ecs` jobs only.
    public var isECS: Bool { rawValue.hasPrefix("CRON_ECS_") }

    /// The settings an `ecs` job may not use: they describe a Kubernetes Job.
    public static let kubernetesOnly: [Setting] = [
        .namespace, .template, .serviceAccount, .retries, .keepSucceeded, .keepFailed, .podTTL, .labels, .annotations,
    ]

    /// The nearest setting to a mistyped `CRON_` name, if one is close enough to be a typo.
    static func suggestion(for name: String) -> String? {
        let upper = name.uppercased()
        var best: (String, Int)? = nil
        for setting in allCases {
            let distance = editDistance(Array(upper.utf8), Array(setting.rawValue.utf8))
            if distance < (best?.1 ?? Int.max) { best = (setting.rawValue, distance) }
        }
        // A third of the name, at least 2 edits: CRON_TIMOUT and cron_tz match, CRON_FOO does not.
        guard let best, best.1 <= max(2, name.count / 3) else { return nil }
        return best.0
    }
}

/// Levenshtein distance between two byte strings.
func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            let cost = a[i - 1] == b[j - 1] ? 0 : 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}
