/// The `CRON_ECS_` settings of a job: where its ECS task runs and what it runs from.
///
/// They apply only to jobs with `CRON_EXECUTOR=ecs`; `check` says which an ecs job needs and which
/// settings it may not use (`FileState+ECS.swift`).
public struct ECSSettings: Hashable, Sendable {
    /// The cluster's name or ARN (`CRON_ECS_CLUSTER`); required.
    public var cluster: String?
    /// The task's subnets (`CRON_ECS_SUBNETS`); at least one is required.
    public var subnets: [String] = []
    /// The task's security groups (`CRON_ECS_SECURITY_GROUPS`); none: the VPC's default group.
    public var securityGroups: [String] = []
    /// Whether the task gets a public IP (`CRON_ECS_ASSIGN_PUBLIC_IP`).
    public var assignsPublicIP = false
    /// A task definition made elsewhere (`CRON_ECS_TASK_DEFINITION`): family, `family:revision` or ARN;
    /// `nil`: fargate-cron registers one from the job's image, command, size and environment.
    public var taskDefinition: String?
    /// The container of that definition the command runs in (`CRON_ECS_CONTAINER`).
    public var container: String?
    /// A capacity provider strategy (`CRON_ECS_CAPACITY_PROVIDERS`); empty: launch type FARGATE.
    public var capacityProviders: [ECSCapacityProvider] = []
    /// The Fargate platform version (`CRON_ECS_PLATFORM_VERSION`); `nil`: LATEST.
    public var platformVersion: String?
    /// The execution role of a registered definition (`CRON_ECS_EXECUTION_ROLE`).
    public var executionRole: String?
    /// The task role of a registered definition (`CRON_ECS_TASK_ROLE`).
    public var taskRole: String?
    /// The awslogs group of a registered definition (`CRON_ECS_LOG_GROUP`).
    public var logGroup: String?
    /// The awslogs stream prefix of a registered definition (`CRON_ECS_LOG_STREAM_PREFIX`).
    public var logStreamPrefix = "fargate-cron"

    /// The most subnets and security groups a task's network configuration takes.
    public static let maximumSubnets = 16
    public static let maximumSecurityGroups = 5
}

/// One capacity provider of a strategy: `FARGATE_SPOT:3:1` is FARGATE_SPOT with weight 3 and base 1.
public struct ECSCapacityProvider: Hashable, Sendable {
    /// `FARGATE` or `FARGATE_SPOT`.
    public var name: String
    /// Its share of the tasks (default 1).
    public var weight: Int
    /// How many tasks it runs first (default 0).
    public var base: Int

    /// Creates one.
    public init(name: String, weight: Int, base: Int) {
        self.name = name
        self.weight = weight
        self.base = base
    }
}

extension SettingValues {
    /// Assigns one `CRON_ECS_` setting; an empty value restores its default.
    mutating func assignECS(_ setting: Setting, _ value: Substring) throws(Refusal) {
        let defaults = ECSSettings()
        let empty = value.isEmpty
        func require<T>(_ parsed: T?) throws(Refusal) -> T {
            guard let parsed else { throw .expected }
            return parsed
        }
        switch setting {
        case .ecsCluster: ecs.cluster = empty ? nil : try require(ECSSyntax.isCluster(value) ? String(value) : nil)
        case .ecsSubnets:
            ecs.subnets = empty ? defaults.subnets
                : try ECSSyntax.list(value, of: setting, limit: ECSSettings.maximumSubnets, entry: ECSSyntax.isSubnet)
        case .ecsSecurityGroups:
            ecs.securityGroups = empty ? defaults.securityGroups
                : try ECSSyntax.list(value, of: setting, limit: ECSSettings.maximumSecurityGroups, entry: ECSSyntax.isSecurityGroup)
        case .ecsAssignPublicIP:
            ecs.assignsPublicIP = empty ? defaults.assignsPublicIP
                : try require(["true": true, "ENABLED": true, "false": false, "DISABLED": false][String(value)])
        case .ecsTaskDefinition: ecs.taskDefinition = empty ? nil : try require(ECSSyntax.isTaskDefinition(value) ? String(value) : nil)
        case .ecsContainer: ecs.container = empty ? nil : try require(ECSSyntax.isName(value) ? String(value) : nil)
        case .ecsCapacityProviders: ecs.capacityProviders = empty ? defaults.capacityProviders : try ECSSyntax.capacityProviders(value)
        case .ecsPlatformVersion: ecs.platformVersion = empty ? nil : try require(ECSSyntax.isPlatformVersion(value) ? String(value) : nil)
        case .ecsExecutionRole: ecs.executionRole = empty ? nil : try require(ECSSyntax.isRoleARN(value) ? String(value) : nil)
        case .ecsTaskRole: ecs.taskRole = empty ? nil : try require(ECSSyntax.isRoleARN(value) ? String(value) : nil)
        case .ecsLogGroup: ecs.logGroup = empty ? nil : try require(ECSSyntax.isLogGroup(value) ? String(value) : nil)
        case .ecsLogStreamPrefix:
            ecs.logStreamPrefix = empty ? defaults.logStreamPrefix : try require(ECSSyntax.isStreamPrefix(value) ? String(value) : nil)
        default: preconditionFailure("\(setting.rawValue) is not an ECS setting")
        }
    }
}

/// The grammars of ECS names and ids, as AWS documents them.
enum ECSSyntax {
    private static func all(_ text: Substring, _ allowed: (UInt8) -> Bool) -> Bool { text.utf8.allSatisfy(allowed) }
    private static func isAlphanumeric(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
    }
    private static func isLowerHex(_ b: UInt8) -> Bool { (b >= 0x30 && b <= 0x39) || (b >= 0x61 && b <= 0x66) }

    /// A cluster, family or container name: 1-255 letters, digits, `-` and `_`.
    static func isName(_ text: Substring) -> Bool {
        (1...255).contains(text.utf8.count) && all(text) { isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }
    }

    /// `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`, with `resource` checked by the caller.
    private static func arn(_ text: Substring, service: String, resource: (Substring) -> Bool) -> Bool {
        let parts = text.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", parts[1].hasPrefix("aws"), parts[2] == service,
            parts[4].count == 12, parts[4].utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 })
        else { return false }
        return resource(parts[5])
    }

    /// A cluster name or `arn:aws:ecs:REGION:ACCOUNT:cluster/NAME`.
    static func isCluster(_ text: Substring) -> Bool {
        isName(text) || arn(text, service: "ecs") { $0.hasPrefix("cluster/") && isName($0.dropFirst("cluster/".count)) }
    }

    /// `FAMILY`, `FAMILY:REVISION` or `arn:aws:ecs:REGION:ACCOUNT:task-definition/FAMILY:REVISION`.
    static func isTaskDefinition(_ text: Substring) -> Bool {
        func familyAndRevision(_ text: Substring, revisionRequired: Bool) -> Bool {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 1 || parts.count == 2, isName(parts[0]) else { return false }
            if parts.count == 1 { return !revisionRequired }
            return Int(parts[1]).map { $0 > 0 } ?? false
        }
        if text.hasPrefix("arn:") {
            return arn(text, service: "ecs") {
                $0.hasPrefix("task-definition/") && familyAndRevision($0.dropFirst("task-definition/".count), revisionRequired: true)
            }
        }
        return familyAndRevision(text, revisionRequired: false)
    }

    /// `subnet-` and 8 or 17 lower-case hex digits.
    static func isSubnet(_ text: Substring) -> Bool { isResourceID(text, prefix: "subnet-") }

    /// `sg-` and 8 or 17 lower-case hex digits.
    static func isSecurityGroup(_ text: Substring) -> Bool { isResourceID(text, prefix: "sg-") }

    private static func isResourceID(_ text: Substring, prefix: String) -> Bool {
        guard text.hasPrefix(prefix) else { return false }
        let digits = text.dropFirst(prefix.count)
        return (digits.utf8.count == 8 || digits.utf8.count == 17) && all(digits, isLowerHex)
    }

    /// `arn:aws:iam::ACCOUNT:role/PATH/NAME`.
    static func isRoleARN(_ text: Substring) -> Bool {
        let parts = text.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", parts[1].hasPrefix("aws"), parts[2] == "iam", parts[3].isEmpty,
            parts[4].count == 12, parts[4].utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), parts[5].hasPrefix("role/")
        else { return false }
        let name = parts[5].dropFirst("role/".count)
        return !name.isEmpty && all(name) { isAlphanumeric($0) || "+=,.@_/-".utf8.contains($0) }
    }

    /// A CloudWatch Logs group name: 1-512 of letters, digits, `_ - / . #`.
    static func isLogGroup(_ text: Substring) -> Bool {
        (1...512).contains(text.utf8.count) && all(text) { isAlphanumeric($0) || "_-/.#".utf8.contains($0) }
    }

    /// An awslogs stream prefix: no `:` or `*` (CloudWatch refuses them in stream names), no spaces.
    static func isStreamPrefix(_ text: Substring) -> Bool {
        (1...256).contains(text.utf8.count) && all(text) { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ":") && $0 != UInt8(ascii: "*") }
    }

    /// `LATEST` or a version such as `1.4.0`.
    static func isPlatformVersion(_ text: Substring) -> Bool {
        if text == "LATEST" { return true }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 3 && parts.allSatisfy { !$0.isEmpty && $0.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }
    }

    /// A comma-separated list whose entries each satisfy `entry`, without repeats, at most `limit`.
    /// - Throws: the first bad entry, located at its offset within the value.
    static func list(
        _ text: Substring, of setting: Setting, limit: Int, entry: (Substring) -> Bool
    ) throws(SettingValues.Refusal) -> [String] {
        var entries: [String] = []
        var offset = 0
        for raw in text.split(separator: ",", omittingEmptySubsequences: false) {
            let trimmed = raw.trimmingSpaces()
            let at = offset + raw.utf8.distance(from: raw.startIndex, to: trimmed.startIndex)
            offset += raw.utf8.count + 1
            guard entry(trimmed) else {
                throw .listEntry(offset: at, .invalidListEntry(setting, entry: String(trimmed), expected: setting.expectedEntry))
            }
            guard !entries.contains(String(trimmed)) else {
                throw .listEntry(offset: at, .duplicateListEntry(setting, entry: String(trimmed)))
            }
            entries.append(String(trimmed))
        }
        guard entries.count <= limit else {
            throw .listEntry(offset: 0, .tooManyListEntries(setting, count: entries.count, limit: limit))
        }
        return entries
    }

    /// `FARGATE_SPOT:3:1,FARGATE:1`: names FARGATE or FARGATE_SPOT, weights 0-1000 (default 1),
    /// bases 0-100000 (default 0), at least one weight above 0.
    static func capacityProviders(_ text: Substring) throws(SettingValues.Refusal) -> [ECSCapacityProvider] {
        var providers: [ECSCapacityProvider] = []
        var offset = 0
        for raw in text.split(separator: ",", omittingEmptySubsequences: false) {
            let trimmed = raw.trimmingSpaces()
            let at = offset + raw.utf8.distance(from: raw.startIndex, to: trimmed.startIndex)
            offset += raw.utf8.count + 1
            let parts = trimmed.split(separator: ":", omittingEmptySubsequences: false)
            let weight = parts.count > 1 ? Int(parts[1]) : 1
            let base = parts.count > 2 ? Int(parts[2]) : 0
            guard parts.count <= 3, ["FARGATE", "FARGATE_SPOT"].contains(String(parts[0])), let weight, (0...1000).contains(weight),
                let base, (0...100_000).contains(base)
            else {
                throw .listEntry(offset: at, .invalidListEntry(.ecsCapacityProviders, entry: String(trimmed),
                                                               expected: Setting.ecsCapacityProviders.expectedEntry))
            }
            guard !providers.contains(where: { $0.name == parts[0] }) else {
                throw .listEntry(offset: at, .duplicateListEntry(.ecsCapacityProviders, entry: String(parts[0])))
            }
            providers.append(ECSCapacityProvider(name: String(parts[0]), weight: weight, base: base))
        }
        guard providers.contains(where: { $0.weight > 0 }) else { throw .expected }
        return providers
    }
}
