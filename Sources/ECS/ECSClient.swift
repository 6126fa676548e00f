public import Foundation

/// The Amazon ECS API, as far as the ECS executor needs it.
///
/// Each call retries transient failures (``AWSJSONClient``) until its `deadline` (or, without one,
/// ``AWSRetryPolicy/maximumAttempts`` times) and throws ``ECSError`` with AWS's code and message.
/// - SeeAlso: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/Welcome.html
public struct ECSClient: Sendable {
    /// The JSON 1.1 caller for `ecs`.
    public let api: AWSJSONClient

    /// Creates a client over a JSON caller for ``AWSService/ecs(region:environment:)``.
    public init(api: AWSJSONClient) { self.api = api }

    /// The most tasks one `DescribeTasks` call takes.
    public static let describeLimit = 100

    /// `RunTask`: starts tasks.
    /// - Returns: the tasks started and ECS's failures (ECS reports a task it could not place as a
    ///   failure beside an empty list, not as an error).
    public func runTask(_ request: RunTaskRequest, deadline: Date? = nil) async throws(ECSError) -> (tasks: [ECSTask], failures: [ECSFailure]) {
        let answer = try await api.call("RunTask", request, returning: TasksAnswer.self, deadline: deadline)
        return (answer.tasks ?? [], answer.failures ?? [])
    }

    /// `DescribeTasks` with their tags, for up to ``describeLimit`` tasks of one cluster.
    /// - Returns: the tasks ECS knows, and a failure (reason `MISSING`) for each it does not.
    public func describeTasks(cluster: String, tasks: [String], deadline: Date? = nil) async throws(ECSError) -> (tasks: [ECSTask], failures: [ECSFailure]) {
        precondition(tasks.count <= Self.describeLimit, "DescribeTasks takes at most \(Self.describeLimit) tasks")
        struct Input: Encodable, Sendable { var cluster: String, tasks: [String], include: [String] }
        let answer = try await api.call(
            "DescribeTasks", Input(cluster: cluster, tasks: tasks, include: ["TAGS"]), returning: TasksAnswer.self, deadline: deadline)
        return (answer.tasks ?? [], answer.failures ?? [])
    }

    /// `ListTasks` by `startedBy`, all pages.
    /// - Parameter desiredStatus: `RUNNING` (ECS's default: tasks not asked to stop, pending ones
    ///   included) or `STOPPED` (kept by ECS for about an hour).
    public func listTasks(cluster: String, startedBy: String, desiredStatus: String = "RUNNING", deadline: Date? = nil) async throws(ECSError) -> [String] {
        struct Input: Encodable, Sendable { var cluster: String, startedBy: String, desiredStatus: String, nextToken: String? }
        struct Answer: Decodable { var taskArns: [String]?, nextToken: String? }
        var arns: [String] = []
        var token: String?
        repeat {
            let page = try await api.call(
                "ListTasks", Input(cluster: cluster, startedBy: startedBy, desiredStatus: desiredStatus, nextToken: token),
                returning: Answer.self, deadline: deadline)
            arns += page.taskArns ?? []
            token = page.nextToken
        } while token != nil
        return arns
    }

    /// `StopTask`. Stopping a task that already stopped is not an error.
    /// - Parameter reason: shown as the task's `stoppedReason` (ECS keeps 255 characters).
    @discardableResult
    public func stopTask(cluster: String, task: String, reason: String, deadline: Date? = nil) async throws(ECSError) -> ECSTask? {
        struct Input: Encodable, Sendable { var cluster: String, task: String, reason: String }
        struct Answer: Decodable { var task: ECSTask? }
        return try await api.call(
            "StopTask", Input(cluster: cluster, task: task, reason: String(reason.prefix(255))), returning: Answer.self,
            deadline: deadline
        ).task
    }

    /// `RegisterTaskDefinition`: a new revision of the definition's family.
    public func registerTaskDefinition(_ definition: TaskDefinition, tags: [ECSTag], deadline: Date? = nil) async throws(ECSError) -> TaskDefinition {
        struct Input: Encodable, Sendable {
            var definition: TaskDefinition
            var tags: [ECSTag]
            enum Keys: String, CodingKey { case tags }
            func encode(to encoder: any Encoder) throws {
                try definition.encode(to: encoder)
                var container = encoder.container(keyedBy: Keys.self)
                try container.encode(tags, forKey: .tags)
            }
        }
        struct Answer: Decodable { var taskDefinition: TaskDefinition }
        return try await api.call(
            "RegisterTaskDefinition", Input(definition: definition, tags: tags), returning: Answer.self, deadline: deadline
        ).taskDefinition
    }

    /// `DescribeTaskDefinition` with its tags.
    /// - Returns: `nil` when no such definition exists (ECS answers `ClientException`).
    public func describeTaskDefinition(_ name: String, deadline: Date? = nil) async throws(ECSError) -> (definition: TaskDefinition, tags: [ECSTag])? {
        struct Input: Encodable, Sendable { var taskDefinition: String, include: [String] }
        struct Answer: Decodable { var taskDefinition: TaskDefinition, tags: [ECSTag]? }
        do {
            let answer = try await api.call(
                "DescribeTaskDefinition", Input(taskDefinition: name, include: ["TAGS"]), returning: Answer.self, deadline: deadline)
            return (answer.taskDefinition, answer.tags ?? [])
        } catch let error where error.code == "ClientException" && error.description.contains("Unable to describe task definition") {
            return nil
        }
    }

    private struct TasksAnswer: Decodable {
        var tasks: [ECSTask]?
        var failures: [ECSFailure]?
    }
}
