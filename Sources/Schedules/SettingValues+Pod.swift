extension SettingValues {
    /// The name a job without a template gives its one container (`JobManifest.containerName` in
    /// FargateExecutor, which builds the Job).
    static let defaultContainerName = "job"

    /// The CPU each run's main container gets: `CRON_CPU` when the file assigns it, else the
    /// template's own for that container, else the default (250m).
    public var mainContainerCPU: ResourceQuantity {
        cpuIsAssigned ? cpu : template?.mainContainer(named: container)?.cpu ?? cpu
    }

    /// The memory each run's main container gets, chosen as ``mainContainerCPU`` is.
    public var mainContainerMemory: ResourceQuantity {
        memoryIsAssigned ? memory : template?.mainContainer(named: container)?.memory ?? memory
    }

    /// Each run's pod as Fargate sizes it: the template's containers, the main one with the CPU
    /// and memory fargate-cron gives it; or the one container of a Job made without a template.
    public var podRequests: PodRequests {
        guard let template, let main = template.mainContainer(named: container) else {
            return PodRequests([ContainerRequests(
                name: container ?? Self.defaultContainerName, role: .container, image: image, cpu: cpu, memory: memory)])
        }
        return PodRequests(template.containers.map { candidate in
            guard candidate.role == .container, candidate.name == main.name else { return candidate }
            var merged = candidate
            merged.cpu = mainContainerCPU
            merged.memory = mainContainerMemory
            return merged
        })
    }
}
