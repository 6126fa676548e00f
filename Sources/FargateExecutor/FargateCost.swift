public import Foundation

/// A Fargate size as `CapacityProvisioned` states it: `0.25vCPU 0.5GB`.
public struct FargateCapacity: Hashable, Sendable, Codable, CustomStringConvertible {
    /// Virtual CPUs.
    public var vCPU: Double
    /// Memory in GB (Fargate's GB are GiB).
    public var memoryGB: Double

    public init(vCPU: Double, memoryGB: Double) {
        self.vCPU = vCPU
        self.memoryGB = memoryGB
    }

    /// Reads `0.25vCPU 0.5GB`; `nil` for anything else.
    public init?(annotation: String) {
        let parts = annotation.split(separator: " ")
        guard parts.count == 2, parts[0].hasSuffix("vCPU"), parts[1].hasSuffix("GB"),
            let cpu = Double(parts[0].dropLast(4)), let memory = Double(parts[1].dropLast(2)), cpu > 0, memory > 0
        else { return nil }
        self.init(vCPU: cpu, memoryGB: memory)
    }

    public var description: String { "\(vCPU.formatted())vCPU \(memoryGB.formatted())GB" }
}

/// Per-region Fargate prices (a setting: AWS's prices change and differ by region).
public struct FargateRates: Hashable, Sendable, Codable {
    /// Price of one vCPU for one hour.
    public var perVCPUHour: Decimal
    /// Price of one GB of memory for one hour.
    public var perGBHour: Decimal

    public init(perVCPUHour: Decimal, perGBHour: Decimal) {
        self.perVCPUHour = perVCPUHour
        self.perGBHour = perGBHour
    }
}

/// What one run's pod cost: Fargate bills from the pod's scheduling to its deletion, per second,
/// with a one-minute minimum.
public struct FargateCost: Hashable, Sendable, Codable {
    /// The billed size.
    public var capacity: FargateCapacity
    /// The billed duration in whole seconds (at least 60).
    public var billedSeconds: Int
    /// The estimated price, when rates are known.
    public var estimatedPrice: Decimal?

    /// The cost of `seconds` of `capacity` (an ECS task's size and billed time), with Fargate's
    /// rounding: up to the next second, at least one minute.
    public init(capacity: FargateCapacity, seconds: TimeInterval, rates: FargateRates?) {
        self.capacity = capacity
        billedSeconds = max(60, Int(seconds.rounded(.up)))
        if let rates {
            let hours = Decimal(billedSeconds) / 3600
            estimatedPrice = hours * (Decimal(capacity.vCPU) * rates.perVCPUHour + Decimal(capacity.memoryGB) * rates.perGBHour)
        }
    }

    /// The cost of a pod, or `nil` while its size, scheduling or deletion time is unknown.
    public init?(timeline: PodTimeline, rates: FargateRates?) {
        guard let annotation = timeline.capacityProvisioned, let capacity = FargateCapacity(annotation: annotation),
            let start = timeline.scheduledAt ?? timeline.createdAt, let end = timeline.deletedAt
        else { return nil }
        self.capacity = capacity
        // Fargate rounds up to the next second, then applies its one-minute minimum.
        billedSeconds = max(60, Int(end.timeIntervalSince(start).rounded(.up)))
        if let rates {
            let hours = Decimal(billedSeconds) / 3600
            let perHour = Decimal(capacity.vCPU) * rates.perVCPUHour + Decimal(capacity.memoryGB) * rates.perGBHour
            estimatedPrice = hours * perHour
        }
    }
}
