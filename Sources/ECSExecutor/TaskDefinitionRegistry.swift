import RunModel
import AWS
import Crypto
import ECS
import Foundation
import Logging
import Scheduler

/// A job's task definition as a run uses it: what RunTask names, the container the command runs in,
/// and that container's log configuration.
struct ResolvedTaskDefinition: Hashable, Sendable {
    /// A family, `family:revision` or ARN.
    var reference: String
    var container: String
    var logConfiguration: LogConfiguration?
}

/// Finds each job's task definition: a given one is described (to learn its container and logs);
/// a registered one is registered once per content and reused while the job's image, command,
/// size, roles, logs and environment stay the same — across restarts too, through a hash of that
/// content kept as a tag on the definition.
actor TaskDefinitionRegistry {
    private let ecs: ECSClient
    private let logger: Logger
    private let now: @Sendable () -> Date
    /// Registered definitions by family: the content hash and the revision's ARN.
    private var registered: [String: (hash: String, resolved: ResolvedTaskDefinition)] = [:]
    /// Given definitions, by name and container, with when they were described.
    private var given: [String: (resolved: ResolvedTaskDefinition, at: Date)] = [:]

    /// How long a described, given definition is trusted before it is described again (a user may
    /// register a new revision of the family; somewhat arbitrarily five minutes).
    static let givenLifetime: TimeInterval = 300

    init(ecs: ECSClient, logger: Logger, now: @escaping @Sendable () -> Date) {
        self.ecs = ecs
        self.logger = logger
        self.now = now
    }

    /// The family fargate-cron registers a job's definitions in.
    static func family(of job: String) -> String { "fargate-cron-\(job)" }

    /// The definition a run of `settings`' job uses.
    func resolve(_ settings: ECSJobSettings, command: String, environment: [String: String], deadline: Date) async throws(ECSError) -> ResolvedTaskDefinition {
        switch settings.taskDefinition {
        case .given(let name, let container):
            return try await describe(name, container: container, deadline: deadline)
        case .registered(let spec):
            let definition = Self.definition(for: settings, spec: spec, command: command, environment: environment)
            let hash = Self.hash(of: definition)
            if let known = registered[definition.family], known.hash == hash { return known.resolved }
            let resolved = try await findOrRegister(definition, job: settings.jobName, hash: hash, deadline: deadline)
            registered[definition.family] = (hash, resolved)
            return resolved
        }
    }

    /// The definition of a task found in ECS (an adopted task): its container and logs.
    func describe(_ name: String, container: String?, deadline: Date) async throws(ECSError) -> ResolvedTaskDefinition {
        let key = "\(name)|\(container ?? "")"
        if let cached = given[key], now().timeIntervalSince(cached.at) < Self.givenLifetime { return cached.resolved }
        guard let (definition, _) = try await ecs.describeTaskDefinition(name, deadline: deadline) else {
            throw .api(AWSAPIError(service: "ecs", operation: "DescribeTaskDefinition", status: 400, code: "ClientException",
                                   message: "task definition \(name) does not exist"))
        }
        guard let chosen = definition.container(named: container) else {
            throw .invalidResponse(operation: "DescribeTaskDefinition",
                                   "task definition \(name) has no container named \(container ?? "(essential)")")
        }
        let resolved = ResolvedTaskDefinition(reference: name, container: chosen.name, logConfiguration: chosen.logConfiguration)
        given[key] = (resolved, now())
        return resolved
    }

    private func findOrRegister(_ definition: TaskDefinition, job: String, hash: String, deadline: Date) async throws(ECSError) -> ResolvedTaskDefinition {
        let container = definition.containerDefinitions[0]
        if let (latest, tags) = try await ecs.describeTaskDefinition(definition.family, deadline: deadline),
            latest.status != "INACTIVE", tags.contains(ECSTag(key: TaskOwnership.definitionHashKey, value: hash)),
            let arn = latest.taskDefinitionArn
        {
            return ResolvedTaskDefinition(reference: arn, container: container.name, logConfiguration: container.logConfiguration)
        }
        let tags = [TaskOwnership.managedBy, ECSTag(key: TaskOwnership.jobKey, value: job),
                    ECSTag(key: TaskOwnership.definitionHashKey, value: hash)]
        let made = try await ecs.registerTaskDefinition(definition, tags: tags, deadline: deadline)
        guard let arn = made.taskDefinitionArn else {
            throw .invalidResponse(operation: "RegisterTaskDefinition", "no taskDefinitionArn in the answer")
        }
        logger.info("registered task definition \(arn) for \(job)")
        return ResolvedTaskDefinition(reference: arn, container: container.name, logConfiguration: container.logConfiguration)
    }

    /// What fargate-cron registers for a job: one essential container named after the job, running
    /// the command with `/bin/sh -c`, logging with awslogs, at the job's Fargate size.
    static func definition(
        for settings: ECSJobSettings, spec: RegisteredTaskDefinition, command: String, environment: [String: String]
    ) -> TaskDefinition {
        let container = ContainerDefinition(
            name: settings.jobName, image: spec.image, essential: true, command: ["/bin/sh", "-c", command],
            environment: environment.sorted { $0.key < $1.key }.map { ECSKeyValuePair(name: $0.key, value: $0.value) },
            logConfiguration: LogConfiguration(logDriver: "awslogs", options: [
                "awslogs-group": spec.logGroup, "awslogs-region": spec.logRegion, "awslogs-stream-prefix": spec.logStreamPrefix,
            ]))
        return TaskDefinition(
            family: family(of: settings.jobName), containerDefinitions: [container], cpu: String(settings.size.cpuUnits),
            memory: String(settings.size.memoryMiB), executionRoleArn: spec.executionRoleARN, taskRoleArn: spec.taskRoleARN)
    }

    /// 16 hex digits of SHA-256 over the definition's canonical JSON.
    static func hash(of definition: TaskDefinition) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        do {
            return String(SigV4.hex(SHA256.hash(data: try encoder.encode(definition))).prefix(16))
        } catch {
            preconditionFailure("a task definition of strings cannot fail to encode: \(error)")
        }
    }
}
