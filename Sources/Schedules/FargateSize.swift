public import RunModel

/// A vCPU and memory pair that AWS Fargate runs (and bills) a pod as.
///
/// On EKS, Fargate adds 256 MiB to the pod's memory request for the Kubernetes components (kubelet,
/// kube-proxy, containerd) and rounds up to the closest pair of the table below, so a request of
/// 1 vCPU and 8 GiB is billed as 2 vCPU and 9 GB. AWS writes "GB" for multiples of 1024 MiB.
///
/// - SeeAlso: https://docs.aws.amazon.com/eks/latest/userguide/fargate-pod-configuration.html
public struct FargateSize: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The vCPU, in thousandths (`250` is 0.25 vCPU).
    public var milliCPU: Int
    /// The memory, in MiB.
    public var memoryMiB: Int

    /// Memory Fargate adds to every pod's request for the Kubernetes components.
    public static let kubernetesOverheadMiB = 256

    /// Every pair Fargate offers for EKS pods, smallest vCPU first, then smallest memory.
    public static let all: [FargateSize] = {
        func row(_ cpu: Int, _ gigabytes: some Sequence<Int>) -> [FargateSize] {
            gigabytes.map { FargateSize(milliCPU: cpu, memoryMiB: $0 * 1024) }
        }
        return [FargateSize(milliCPU: 250, memoryMiB: 512)] + row(250, [1, 2]) + row(500, 1...4) + row(1000, 2...8)
            + row(2000, 4...16) + row(4000, 8...30) + row(8000, stride(from: 16, through: 60, by: 4))
            + row(16000, stride(from: 32, through: 120, by: 8))
    }()

    /// The size a pod (or task) with these requests is billed as, or `nil` when no size is large enough.
    /// - Parameters:
    ///   - cpu: the CPU request (Kubernetes units: cores).
    ///   - memory: the memory request (bytes).
    ///   - overheadMiB: memory Fargate adds: 256 MiB for an EKS pod (the default), 0 for an ECS task,
    ///     whose sizes are the same table.
    public static func billed(
        cpu: ResourceQuantity, memory: ResourceQuantity, overheadMiB: Int = kubernetesOverheadMiB
    ) -> FargateSize? {
        billed(milliCPU: cpu.milliValue, memoryBytes: memory.value, overheadMiB: overheadMiB)
    }

    /// The memory Fargate adds for an executor; `nil` for one that does not run on Fargate.
    public static func overheadMiB(for executor: ExecutorKind) -> Int? {
        switch executor {
        case .kubernetes: kubernetesOverheadMiB
        case .ecs: 0
        case .local: nil
        }
    }

    /// The smallest vCPU Fargate offers that is at least `cpu`, ignoring memory; `nil` above 16 vCPU.
    static func smallestCPU(atLeast cpu: ResourceQuantity) -> Int? { smallestCPU(atLeastMilli: cpu.milliValue) }

    /// The smallest vCPU Fargate offers that is at least `milliCPU` thousandths.
    static func smallestCPU(atLeastMilli milliCPU: Int64) -> Int? {
        all.first { Int64($0.milliCPU) >= milliCPU }?.milliCPU
    }

    public static func < (lhs: FargateSize, rhs: FargateSize) -> Bool {
        (lhs.milliCPU, lhs.memoryMiB) < (rhs.milliCPU, rhs.memoryMiB)
    }

    /// `2 vCPU / 9 GB`, as AWS's table writes it.
    public var description: String { "\(FargateSize.formatCPU(milliCPU)) vCPU / \(FargateSize.formatGB(memoryMiB)) GB" }

    static func formatCPU(_ milli: Int) -> String {
        milli % 1000 == 0 ? "\(milli / 1000)" : milli % 100 == 0 ? "\(milli / 1000).\(milli % 1000 / 100)"
            : "\(milli / 1000).\(String(milli % 1000).leftPadded(to: 3))".trimmingTrailingZeros()
    }

    static func formatGB(_ mib: Int) -> String {
        // Every size in the table is a multiple of 512 MiB.
        mib % 1024 == 0 ? "\(mib / 1024)" : "\(mib / 1024).5"
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: Swift.max(0, width - count)) + self
    }

    fileprivate func trimmingTrailingZeros() -> String {
        var text = self
        while text.hasSuffix("0") { text.removeLast() }
        return text
    }
}
