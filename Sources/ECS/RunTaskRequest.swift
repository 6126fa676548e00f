/// The parameters of `RunTask` that fargate-cron sets.
///
/// - SeeAlso: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RunTask.html
public struct RunTaskRequest: Codable, Hashable, Sendable {
    public var cluster: String
    /// A family, `family:revision` or ARN.
    public var taskDefinition: String
    /// `FARGATE`; `nil` when a capacity provider strategy is given (ECS refuses both).
    public var launchType: String?
    public var capacityProviderStrategy: [CapacityProviderStrategyItem]?
    public var networkConfiguration: NetworkConfiguration?
    public var overrides: TaskOverride?
    /// `LATEST` or a version such as `1.4.0`; `nil` for ECS's default (LATEST).
    public var platformVersion: String?
    /// Up to 128 letters, digits, `-`, `/` and `_`; ListTasks filters on it.
    public var startedBy: String?
    public var tags: [ECSTag]?
    /// Up to 64 ASCII characters (33-126): the same token with the same parameters returns the first
    /// request's task instead of starting another, for 24 hours, per cluster.
    public var clientToken: String?

    /// Creates a request.
    public init(
        cluster: String, taskDefinition: String, launchType: String? = nil,
        capacityProviderStrategy: [CapacityProviderStrategyItem]? = nil, networkConfiguration: NetworkConfiguration? = nil,
        overrides: TaskOverride? = nil, platformVersion: String? = nil, startedBy: String? = nil, tags: [ECSTag]? = nil,
        clientToken: String? = nil
    ) {
        self.cluster = cluster
        self.taskDefinition = taskDefinition
        self.launchType = launchType
        self.capacityProviderStrategy = capacityProviderStrategy
        self.networkConfiguration = networkConfiguration
        self.overrides = overrides
        self.platformVersion = platformVersion
        self.startedBy = startedBy
        self.tags = tags
        self.clientToken = clientToken
    }
}

/// One capacity provider of a strategy (`FARGATE`, `FARGATE_SPOT`).
public struct CapacityProviderStrategyItem: Codable, Hashable, Sendable {
    public var capacityProvider: String
    public var weight: Int?
    public var base: Int?
    public init(capacityProvider: String, weight: Int? = nil, base: Int? = nil) {
        self.capacityProvider = capacityProvider
        self.weight = weight
        self.base = base
    }
}

/// The task's network (Fargate tasks use `awsvpc`: an interface in one of the subnets).
public struct NetworkConfiguration: Codable, Hashable, Sendable {
    public var awsvpcConfiguration: AwsVpcConfiguration
    public init(awsvpcConfiguration: AwsVpcConfiguration) { self.awsvpcConfiguration = awsvpcConfiguration }
}

/// Subnets, security groups and whether the interface gets a public IP.
public struct AwsVpcConfiguration: Codable, Hashable, Sendable {
    public var subnets: [String]
    public var securityGroups: [String]?
    /// `ENABLED` or `DISABLED`.
    public var assignPublicIp: String?
    public init(subnets: [String], securityGroups: [String]?, assignPublicIp: String?) {
        self.subnets = subnets
        self.securityGroups = securityGroups
        self.assignPublicIp = assignPublicIp
    }
}

/// What a task changes of its task definition.
public struct TaskOverride: Codable, Hashable, Sendable {
    public var containerOverrides: [ContainerOverride]?
    /// The task's size, in CPU units and MiB as strings (must be a Fargate size).
    public var cpu: String?
    public var memory: String?
    public init(containerOverrides: [ContainerOverride]?, cpu: String? = nil, memory: String? = nil) {
        self.containerOverrides = containerOverrides
        self.cpu = cpu
        self.memory = memory
    }
}

/// What a task changes of one container.
public struct ContainerOverride: Codable, Hashable, Sendable {
    public var name: String
    public var command: [String]?
    public var environment: [ECSKeyValuePair]?
    public var cpu: Int?
    public var memory: Int?
    public init(name: String, command: [String]?, environment: [ECSKeyValuePair]? = nil, cpu: Int? = nil, memory: Int? = nil) {
        self.name = name
        self.command = command
        self.environment = environment
        self.cpu = cpu
        self.memory = memory
    }
}
