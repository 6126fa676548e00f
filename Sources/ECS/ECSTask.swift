public import Foundation

/// A task as `DescribeTasks`, `RunTask` and `StopTask` describe it: the fields fargate-cron reads.
///
/// - SeeAlso: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Task.html
public struct ECSTask: Codable, Hashable, Sendable {
    public var taskArn: String
    public var clusterArn: String?
    public var taskDefinitionArn: String?
    /// PROVISIONING, PENDING, ACTIVATING, RUNNING, DEACTIVATING, STOPPING, DEPROVISIONING, STOPPED, DELETED.
    public var lastStatus: String?
    /// RUNNING or STOPPED.
    public var desiredStatus: String?
    public var stoppedReason: String?
    /// TaskFailedToStart, EssentialContainerExited, UserInitiated, SpotInterruption, ...
    public var stopCode: String?
    public var containers: [ECSContainer]?
    /// The task's size in CPU units (1024 per vCPU) and MiB, as strings.
    public var cpu: String?
    public var memory: String?
    public var createdAt: Date?
    public var pullStartedAt: Date?
    public var pullStoppedAt: Date?
    public var startedAt: Date?
    public var stoppingAt: Date?
    public var executionStoppedAt: Date?
    public var stoppedAt: Date?
    public var startedBy: String?
    public var tags: [ECSTag]?
    public var launchType: String?
    public var capacityProviderName: String?
    public var platformVersion: String?

    /// Creates a task description (tests; ECS's answers are decoded).
    public init(taskArn: String, lastStatus: String? = nil, containers: [ECSContainer]? = nil) {
        self.taskArn = taskArn
        self.lastStatus = lastStatus
        self.containers = containers
    }

    /// The task's id: the last part of its ARN (`arn:aws:ecs:r:a:task/cluster/ID`).
    public var id: String { String(taskArn.split(separator: "/").last ?? Substring(taskArn)) }

    /// Whether the task has stopped for good.
    public var isStopped: Bool { lastStatus == "STOPPED" || lastStatus == "DELETED" }

    /// Whether the task has not started its containers yet.
    public var isStarting: Bool { ["PROVISIONING", "PENDING", "ACTIVATING"].contains(lastStatus ?? "PROVISIONING") }

    /// The value of one tag.
    public func tag(_ key: String) -> String? { tags?.first { $0.key == key }?.value }

    /// The container named `name`.
    public func container(named name: String) -> ECSContainer? { containers?.first { $0.name == name } }

    /// The cluster's name from a long task ARN (`task/CLUSTER/ID`); `nil` for the old short format.
    public static func cluster(inTaskARN arn: String) -> String? {
        guard let resource = arn.split(separator: ":", maxSplits: 5).last else { return nil }
        let parts = resource.split(separator: "/")
        return parts.count == 3 && parts[0] == "task" ? String(parts[1]) : nil
    }
}

/// One container of a task.
public struct ECSContainer: Codable, Hashable, Sendable {
    public var name: String?
    public var lastStatus: String?
    /// Set once the container has exited.
    public var exitCode: Int32?
    /// Why it stopped, when ECS knows (`CannotPullContainerError: ...`, `OutOfMemoryError: ...`).
    public var reason: String?
    public var runtimeId: String?

    /// Creates a container description.
    public init(name: String?, lastStatus: String? = nil, exitCode: Int32? = nil, reason: String? = nil) {
        self.name = name
        self.lastStatus = lastStatus
        self.exitCode = exitCode
        self.reason = reason
    }
}

/// A resource tag.
public struct ECSTag: Codable, Hashable, Sendable {
    public var key: String
    public var value: String
    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}

/// A failure ECS reports beside its answer (`RunTask`, `DescribeTasks`): `MISSING`, `RESOURCE:ENI`, ...
public struct ECSFailure: Codable, Hashable, Sendable, CustomStringConvertible {
    public var arn: String?
    public var reason: String?
    public var detail: String?
    public init(arn: String?, reason: String?, detail: String? = nil) {
        self.arn = arn
        self.reason = reason
        self.detail = detail
    }
    public var description: String {
        [reason, detail].compactMap { $0 }.joined(separator: ": ") + (arn.map { " (\($0))" } ?? "")
    }
}

/// A name and a value (`environment`).
public struct ECSKeyValuePair: Codable, Hashable, Sendable {
    public var name: String
    public var value: String
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}
