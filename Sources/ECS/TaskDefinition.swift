/// A task definition, as `RegisterTaskDefinition` takes it and `DescribeTaskDefinition` answers it.
///
/// - SeeAlso: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_TaskDefinition.html
public struct TaskDefinition: Codable, Hashable, Sendable {
    /// Set by ECS.
    public var taskDefinitionArn: String?
    public var family: String
    /// Set by ECS.
    public var revision: Int?
    /// ACTIVE or INACTIVE; set by ECS.
    public var status: String?
    public var containerDefinitions: [ContainerDefinition]
    /// `["FARGATE"]`.
    public var requiresCompatibilities: [String]?
    /// `awsvpc` on Fargate.
    public var networkMode: String?
    /// The task's size in CPU units and MiB, as strings.
    public var cpu: String?
    public var memory: String?
    /// The role ECS uses to pull the image and write the logs.
    public var executionRoleArn: String?
    /// The role the task's code runs as.
    public var taskRoleArn: String?

    /// Creates a definition to register.
    public init(
        family: String, containerDefinitions: [ContainerDefinition], requiresCompatibilities: [String]? = ["FARGATE"],
        networkMode: String? = "awsvpc", cpu: String?, memory: String?, executionRoleArn: String? = nil,
        taskRoleArn: String? = nil
    ) {
        self.family = family
        self.containerDefinitions = containerDefinitions
        self.requiresCompatibilities = requiresCompatibilities
        self.networkMode = networkMode
        self.cpu = cpu
        self.memory = memory
        self.executionRoleArn = executionRoleArn
        self.taskRoleArn = taskRoleArn
    }

    /// The container a job runs in: the one named `name`, else the first essential one.
    public func container(named name: String?) -> ContainerDefinition? {
        if let name { return containerDefinitions.first { $0.name == name } }
        return containerDefinitions.first { $0.essential ?? true } ?? containerDefinitions.first
    }
}

/// One container of a task definition.
public struct ContainerDefinition: Codable, Hashable, Sendable {
    public var name: String
    public var image: String?
    public var essential: Bool?
    public var command: [String]?
    public var environment: [ECSKeyValuePair]?
    /// The container's hard memory limit in MiB.
    public var memory: Int?
    public var logConfiguration: LogConfiguration?

    /// Creates a container definition.
    public init(
        name: String, image: String?, essential: Bool? = true, command: [String]? = nil, environment: [ECSKeyValuePair]? = nil,
        memory: Int? = nil, logConfiguration: LogConfiguration? = nil
    ) {
        self.name = name
        self.image = image
        self.essential = essential
        self.command = command
        self.environment = environment
        self.memory = memory
        self.logConfiguration = logConfiguration
    }
}

/// A container's log driver and its options.
public struct LogConfiguration: Codable, Hashable, Sendable {
    /// `awslogs`, `awsfirelens`, ...
    public var logDriver: String
    public var options: [String: String]?
    public init(logDriver: String, options: [String: String]?) {
        self.logDriver = logDriver
        self.options = options
    }

    /// The stream an awslogs container writes to, as the driver names it on Fargate:
    /// `PREFIX/CONTAINER/TASK_ID` in the `awslogs-group`; `nil` for another driver or without a
    /// group or prefix (Fargate requires the prefix).
    /// - SeeAlso: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html
    public func awslogsStream(container: String, taskID: String) -> AWSLogsStream? {
        guard logDriver == "awslogs", let group = options?["awslogs-group"], let prefix = options?["awslogs-stream-prefix"]
        else { return nil }
        return AWSLogsStream(group: group, stream: "\(prefix)/\(container)/\(taskID)", region: options?["awslogs-region"])
    }
}

/// A CloudWatch Logs stream: where one container's output goes.
public struct AWSLogsStream: Hashable, Sendable, CustomStringConvertible {
    public var group: String
    public var stream: String
    /// `awslogs-region`, when the definition names one.
    public var region: String?
    public init(group: String, stream: String, region: String?) {
        self.group = group
        self.stream = stream
        self.region = region
    }
    public var description: String { "\(group) \(stream)" }
}
