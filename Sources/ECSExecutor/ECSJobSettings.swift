public import RunModel
public import ECS
import Foundation

/// What the ecs executor needs of one job beyond what the scheduler's ``RunRequest`` carries: where
/// its task runs, on which network, from which task definition, and how big it is.
///
/// The command line builds it from the schedule file's job specification (`CRON_ECS_CLUSTER`,
/// `CRON_ECS_SUBNETS`, `CRON_IMAGE`, `CRON_CPU`, ...); this module never reads schedule files itself.
public struct ECSJobSettings: Hashable, Sendable {
    /// The job's name: the `fargate-cron/job` tag, part of `startedBy` and of the registered family.
    public var jobName: String
    /// The cluster's name or ARN (`CRON_ECS_CLUSTER`).
    public var cluster: String
    /// The task's subnets (`CRON_ECS_SUBNETS`), at least one.
    public var subnets: [String]
    /// The task's security groups (`CRON_ECS_SECURITY_GROUPS`); empty for the VPC's default group.
    public var securityGroups: [String]
    /// Whether the task's interface gets a public IP (`CRON_ECS_ASSIGN_PUBLIC_IP`).
    public var assignsPublicIP: Bool
    /// Where the task definition comes from.
    public var taskDefinition: TaskDefinitionSource
    /// A capacity provider strategy (`CRON_ECS_CAPACITY_PROVIDERS`, e.g. `FARGATE_SPOT`); empty for
    /// launch type FARGATE.
    public var capacityProviders: [CapacityProviderStrategyItem]
    /// The Fargate platform version (`CRON_ECS_PLATFORM_VERSION`); `nil` for LATEST.
    public var platformVersion: String?
    /// The task's size (`CRON_CPU`, `CRON_MEMORY`), already a valid Fargate pair.
    public var size: FargateTaskSize
    /// What happens when a slot comes while a task of this job still runs in ECS.
    public var concurrency: ConcurrencyPolicy
    /// How long a task may stay PROVISIONING or PENDING before it is stopped and its run failed
    /// (`CRON_PENDING_TIMEOUT`).
    public var pendingTimeout: Duration

    /// Creates settings.
    public init(
        jobName: String, cluster: String, subnets: [String], securityGroups: [String] = [], assignsPublicIP: Bool = false,
        taskDefinition: TaskDefinitionSource, capacityProviders: [CapacityProviderStrategyItem] = [],
        platformVersion: String? = nil, size: FargateTaskSize, concurrency: ConcurrencyPolicy = .forbid,
        pendingTimeout: Duration = .seconds(300)
    ) {
        self.jobName = jobName
        self.cluster = cluster
        self.subnets = subnets
        self.securityGroups = securityGroups
        self.assignsPublicIP = assignsPublicIP
        self.taskDefinition = taskDefinition
        self.capacityProviders = capacityProviders
        self.platformVersion = platformVersion
        self.size = size
        self.concurrency = concurrency
        self.pendingTimeout = pendingTimeout
    }
}

/// Where a job's task definition comes from.
public enum TaskDefinitionSource: Hashable, Sendable {
    /// `CRON_ECS_TASK_DEFINITION`: a family, `family:revision` or ARN made elsewhere, and the
    /// container the command runs in (`CRON_ECS_CONTAINER`; `nil` for its first essential one). The
    /// run's command, environment and size are given as overrides.
    case given(String, container: String?)
    /// Registered by fargate-cron from the job's image, command, size and environment, and reused
    /// for as long as they do not change.
    case registered(RegisteredTaskDefinition)
}

/// What fargate-cron registers a job's task definition from, beyond the run's command and environment.
public struct RegisteredTaskDefinition: Hashable, Sendable {
    /// The image (`CRON_IMAGE`).
    public var image: String
    /// The role ECS pulls the image and writes the logs with (`CRON_ECS_EXECUTION_ROLE`).
    public var executionRoleARN: String
    /// The role the job runs as (`CRON_ECS_TASK_ROLE`).
    public var taskRoleARN: String?
    /// The CloudWatch Logs group the awslogs driver writes to (`CRON_ECS_LOG_GROUP`).
    public var logGroup: String
    /// The awslogs stream prefix (`CRON_ECS_LOG_STREAM_PREFIX`, default `fargate-cron`).
    public var logStreamPrefix: String
    /// The log group's region.
    public var logRegion: String

    /// Creates a description.
    public init(image: String, executionRoleARN: String, taskRoleARN: String? = nil, logGroup: String,
                logStreamPrefix: String = "fargate-cron", logRegion: String) {
        self.image = image
        self.executionRoleARN = executionRoleARN
        self.taskRoleARN = taskRoleARN
        self.logGroup = logGroup
        self.logStreamPrefix = logStreamPrefix
        self.logRegion = logRegion
    }
}

/// A Fargate task size: CPU units (1024 per vCPU) and MiB, one of the pairs Fargate offers.
public struct FargateTaskSize: Hashable, Sendable, CustomStringConvertible {
    public var cpuUnits: Int
    public var memoryMiB: Int

    /// Creates a size; `check` has made sure that it is one Fargate offers.
    public init(cpuUnits: Int, memoryMiB: Int) {
        self.cpuUnits = cpuUnits
        self.memoryMiB = memoryMiB
    }

    /// `0.25 vCPU / 0.5 GB`.
    public var description: String {
        "\((Double(cpuUnits) / 1024).formatted()) vCPU / \((Double(memoryMiB) / 1024).formatted()) GB"
    }
}
