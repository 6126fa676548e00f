import ECS
import ECSExecutor
import RunModel
import Schedules
import Synchronization

/// The ECS settings of every `ecs` job now loaded, by job name: what the ecs executor looks up when
/// it starts or re-attaches a job's runs. Replaced whole on each reload.
final class ECSJobTable: Sendable {
    private let settings = Mutex<[String: ECSJobSettings]>([:])
    /// The region the jobs' registered task definitions log to (the daemon's).
    let region: String

    init(_ specs: [JobSpec], region: String) {
        self.region = region
        replace(with: specs)
    }

    /// Takes the jobs of a (re)loaded schedule set; jobs of other executors are left out.
    func replace(with specs: [JobSpec]) {
        let table = Dictionary(
            specs.compactMap { spec in ECSJobSettings(spec, region: region).map { (spec.name.rawValue, $0) } },
            uniquingKeysWith: { first, _ in first })
        settings.withLock { $0 = table }
    }

    /// The settings of `job`, or `nil` when it is not a loaded `ecs` job.
    func settings(of job: String) -> ECSJobSettings? { settings.withLock { $0[job] } }

    /// The loaded `ecs` jobs' names.
    var names: [String] { settings.withLock { $0.keys.sorted() } }

    /// Whether any job of the specs runs on ECS (before a region is known).
    static func hasECSJobs(_ specs: [JobSpec]) -> Bool { specs.contains { $0.executor == .ecs } }
}

extension ECSJobSettings {
    /// A schedule file's job as the ecs executor needs it; `nil` for a job of another executor (or
    /// one `check` would refuse: no cluster, no size Fargate offers).
    init?(_ spec: JobSpec, region: String) {
        guard spec.executor == .ecs, let cluster = spec.ecs.cluster,
            let size = FargateSize.task(cpu: spec.cpu, memory: spec.memory)
        else { return nil }
        let source: TaskDefinitionSource
        if let given = spec.ecs.taskDefinition {
            source = .given(given, container: spec.ecs.container)
        } else {
            guard let image = spec.image, let role = spec.ecs.executionRole, let group = spec.ecs.logGroup else { return nil }
            source = .registered(RegisteredTaskDefinition(
                image: image, executionRoleARN: role, taskRoleARN: spec.ecs.taskRole, logGroup: group,
                logStreamPrefix: spec.ecs.logStreamPrefix, logRegion: region))
        }
        self.init(
            jobName: spec.name.rawValue, cluster: cluster, subnets: spec.ecs.subnets, securityGroups: spec.ecs.securityGroups,
            assignsPublicIP: spec.ecs.assignsPublicIP, taskDefinition: source,
            capacityProviders: spec.ecs.capacityProviders.map {
                CapacityProviderStrategyItem(capacityProvider: $0.name, weight: $0.weight, base: $0.base)
            },
            platformVersion: spec.ecs.platformVersion,
            // ECS counts 1024 CPU units a vCPU; Fargate's sizes are whole units (0.25 vCPU is 256).
            size: FargateTaskSize(cpuUnits: size.milliCPU * 1024 / 1000, memoryMiB: size.memoryMiB),
            concurrency: spec.concurrency, pendingTimeout: spec.pendingTimeout)
    }
}
