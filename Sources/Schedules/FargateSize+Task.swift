extension FargateSize {
    /// The vCPUs an ECS task on Fargate may have, in thousandths.
    static let taskCPUs = [250, 500, 1000, 2000, 4000, 8000, 16000]

    /// The Fargate size an ECS task with exactly this CPU and memory is, or `nil` when the pair is not
    /// one Fargate offers: unlike an EKS pod, whose requests are rounded up to the next size, an ECS
    /// task definition (and a task's overrides) must name a size exactly, or ECS refuses it ("No
    /// Fargate configuration exists for given values").
    /// - SeeAlso: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-tasks-size
    public static func task(cpu: ResourceQuantity, memory: ResourceQuantity) -> FargateSize? {
        let mebibyte: Int64 = 1 << 20
        guard memory.value % mebibyte == 0 else { return nil }
        let size = FargateSize(milliCPU: Int(clamping: cpu.milliValue), memoryMiB: Int(clamping: memory.value / mebibyte))
        return all.contains(size) ? size : nil
    }

    /// What Fargate offers instead of `cpu` with some memory, for messages.
    static func allowedTaskSizes(near cpu: ResourceQuantity) -> String {
        guard taskCPUs.contains(Int(clamping: cpu.milliValue)) else {
            return "ECS tasks take " + taskCPUs.map { formatCPU($0) }.joinedAsList() + " vCPU"
        }
        let sizes = all.filter { Int64($0.milliCPU) == cpu.milliValue }.map(\.memoryMiB)
        let listed = sizes.count > 6
            ? "\(formatMemory(sizes[0])) to \(formatMemory(sizes[sizes.count - 1])) of memory, in steps of \(formatMemory(sizes[1] - sizes[0]))"
            : sizes.map(formatMemory).joinedAsList() + " of memory"
        return "with \(formatCPU(Int(cpu.milliValue))) vCPU ECS takes \(listed)"
    }

    /// `512Mi`, `1Gi`.
    static func formatMemory(_ mib: Int) -> String { mib % 1024 == 0 ? "\(mib / 1024)Gi" : "\(mib)Mi" }
}

extension Array where Element == String {
    /// `a, b or c`.
    fileprivate func joinedAsList() -> String {
        count < 2 ? joined() : dropLast().joined(separator: ", ") + " or " + last!
    }
}
