public import Foundation
public import Kubernetes

/// What a run's pod went through, as read from the API: the facts the ledger and the bill need.
public struct PodTimeline: Hashable, Sendable, Codable {
    /// The pod's name.
    public var pod: String
    /// The pod's uid (deletes carry it as a precondition).
    public var uid: String?
    /// The Fargate node it ran on (`spec.nodeName`).
    public var node: String?
    /// The size Fargate provisioned, and bills (`CapacityProvisioned`, e.g. `0.25vCPU 0.5GB`).
    public var capacityProvisioned: String?
    /// When the pod was created.
    public var createdAt: Date?
    /// When the scheduler placed it (the `PodScheduled` condition turned true): billing starts here.
    public var scheduledAt: Date?
    /// When its container started running.
    public var runningAt: Date?
    /// When its container ended.
    public var finishedAt: Date?
    /// When fargate-cron had read its output to the end.
    public var logsEndedAt: Date?
    /// When fargate-cron deleted it (billing ends here).
    public var deletedAt: Date?

    /// Reads what the pod says of itself; `deletedAt` is set by whoever deletes it.
    public init(pod: Pod) {
        self.pod = pod.metadata.name ?? ""
        uid = pod.metadata.uid
        node = pod.spec?.nodeName
        capacityProvisioned = pod.metadata.annotations?[OwnershipLabels.capacityProvisioned]
        createdAt = pod.metadata.creationTimestamp
        scheduledAt = pod.status?.condition("PodScheduled", is: "True")?.lastTransitionTime
        let states = pod.status?.containerStatuses?.compactMap(\.state) ?? []
        runningAt = states.lazy.compactMap { $0.running?.startedAt ?? $0.terminated?.startedAt }.first
        finishedAt = states.lazy.compactMap { $0.terminated?.finishedAt }.first
    }

    /// Takes what a newer reading of the same pod adds; what was known stays.
    public mutating func update(with newer: PodTimeline) {
        node = newer.node ?? node
        capacityProvisioned = newer.capacityProvisioned ?? capacityProvisioned
        createdAt = createdAt ?? newer.createdAt
        scheduledAt = scheduledAt ?? newer.scheduledAt
        runningAt = runningAt ?? newer.runningAt
        finishedAt = newer.finishedAt ?? finishedAt
        uid = uid ?? newer.uid
    }
}
