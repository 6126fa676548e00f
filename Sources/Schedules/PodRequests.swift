/// One container of a job's pod as Fargate sizes it: its CPU and memory requests.
public struct ContainerRequests: Hashable, Sendable {
    /// How the container runs in the pod, which decides how Fargate counts it.
    public enum Role: Hashable, Sendable {
        /// An init container: runs alone, before the others, to its end.
        case initContainer
        /// A native sidecar (an init container with `restartPolicy: Always`): started before the
        /// containers and kept running beside them.
        case sidecar
        /// One of the pod's containers.
        case container
    }

    /// The container's name.
    public var name: String
    /// How it runs.
    public var role: Role
    /// The image it names, if any.
    public var image: String?
    /// Its CPU request (the limit when only a limit is given, as Kubernetes defaults it); `nil` for none.
    public var cpu: ResourceQuantity?
    /// Its memory request, likewise.
    public var memory: ResourceQuantity?

    /// A container's requests.
    public init(name: String, role: Role, image: String? = nil, cpu: ResourceQuantity? = nil, memory: ResourceQuantity? = nil) {
        self.name = name
        self.role = role
        self.image = image
        self.cpu = cpu
        self.memory = memory
    }
}

/// What a pod asks of Fargate, counted as Fargate counts it: the larger of the largest init
/// container and the sum of the containers that run together (the pod's containers and its native
/// sidecars), for CPU and for memory separately.
///
/// Kubernetes' own scheduler also adds, to an init container, the native sidecars started before
/// it; AWS's page on Fargate pod configuration says only "the maximum request out of any init
/// containers", and it is Fargate's bill that this estimates, so its rule is the one followed.
///
/// - SeeAlso: https://docs.aws.amazon.com/eks/latest/userguide/fargate-pod-configuration.html
public struct PodRequests: Hashable, Sendable {
    /// Every container, init containers first, in the pod's order.
    public var containers: [ContainerRequests]

    /// The pod's containers.
    public init(_ containers: [ContainerRequests]) { self.containers = containers }

    /// The CPU Fargate provisions for, in thousandths of a vCPU.
    public var milliCPU: Int64 { total { $0.cpu?.milliValue ?? 0 } }

    /// The memory Fargate provisions for, in bytes (before its own 256 MiB).
    public var memoryBytes: Int64 { total { $0.memory?.value ?? 0 } }

    /// The larger of the largest init container and the sum of the long-running containers.
    private func total(_ amount: (ContainerRequests) -> Int64) -> Int64 {
        let largestInit = containers.filter { $0.role == .initContainer }.map(amount).max() ?? 0
        let running = containers.filter { $0.role != .initContainer }.map(amount).reduce(0, +)
        return max(largestInit, running)
    }

    /// Whether the pod has more than the one container, so that its total is worth explaining.
    public var hasSeveralContainers: Bool { containers.count > 1 }

    /// `main 1 + proxy 250m`, or `migrate 2 (init)`: how the total came about, for messages.
    func breakdown(_ amount: (ContainerRequests) -> ResourceQuantity?) -> String {
        containers.compactMap { container in
            amount(container).map { "\(container.name) \($0)\(container.role == .initContainer ? " (init)" : "")" }
        }.joined(separator: ", ")
    }
}

extension FargateSize {
    /// The size Fargate bills a pod as, or `nil` when no size is large enough.
    /// - Parameters:
    ///   - pod: the pod's containers and their requests.
    ///   - overheadMiB: memory Fargate adds (256 MiB on EKS).
    public static func billed(pod: PodRequests, overheadMiB: Int = kubernetesOverheadMiB) -> FargateSize? {
        billed(milliCPU: pod.milliCPU, memoryBytes: pod.memoryBytes, overheadMiB: overheadMiB)
    }

    /// The size Fargate bills a request of `milliCPU` and `memoryBytes` as (plus `overheadMiB`).
    static func billed(milliCPU: Int64, memoryBytes: Int64, overheadMiB: Int) -> FargateSize? {
        let mebibyte: Int64 = 1 << 20
        let neededMiB = memoryBytes / mebibyte + (memoryBytes % mebibyte == 0 ? 0 : 1) + Int64(overheadMiB)
        return all.first { Int64($0.milliCPU) >= milliCPU && Int64($0.memoryMiB) >= neededMiB }
    }
}
