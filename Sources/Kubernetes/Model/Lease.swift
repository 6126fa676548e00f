import HTTP
public import Foundation

/// A `coordination.k8s.io/v1` Lease, for electing the one host that schedules.
public struct Lease: Codable, Hashable, Sendable {
    public var apiVersion = "coordination.k8s.io/v1"
    public var kind = "Lease"
    public var metadata: ObjectMeta
    public var spec: LeaseSpec?

    /// Creates a Lease.
    public init(metadata: ObjectMeta, spec: LeaseSpec?) {
        self.metadata = metadata
        self.spec = spec
    }
}

/// `coordination.k8s.io/v1` LeaseSpec. Times are `MicroTime`s (written with six fractional digits).
public struct LeaseSpec: Codable, Hashable, Sendable {
    public var holderIdentity: String?
    public var leaseDurationSeconds: Int?
    public var acquireTime: MicroTime?
    public var renewTime: MicroTime?
    public var leaseTransitions: Int?

    /// Creates a lease spec.
    public init(
        holderIdentity: String?, leaseDurationSeconds: Int?, acquireTime: MicroTime? = nil, renewTime: MicroTime? = nil,
        leaseTransitions: Int? = nil
    ) {
        self.holderIdentity = holderIdentity
        self.leaseDurationSeconds = leaseDurationSeconds
        self.acquireTime = acquireTime
        self.renewTime = renewTime
        self.leaseTransitions = leaseTransitions
    }
}

/// A `core/v1` Event: what the cluster said about a pod (image pulls, scheduling on Fargate, ...).
public struct Event: Codable, Hashable, Sendable {
    public var metadata: ObjectMeta
    public var involvedObject: ObjectReference
    public var reason: String?
    public var message: String?
    /// `Normal` or `Warning`.
    public var type: String?
    public var count: Int?
    public var firstTimestamp: Date?
    public var lastTimestamp: Date?
    public var eventTime: Date?
    /// Who said it (`job-controller`, `default-scheduler`, `kubelet`, …).
    public var source: EventSource?
}

/// `core/v1` EventSource.
public struct EventSource: Codable, Hashable, Sendable {
    public var component: String?
    public var host: String?
}

/// `core/v1` ObjectReference.
public struct ObjectReference: Codable, Hashable, Sendable {
    public var kind: String?
    public var namespace: String?
    public var name: String?
    public var uid: String?
}

/// `metav1.MicroTime`: an instant always written with six fractional digits, as the API server requires.
public struct MicroTime: Codable, Hashable, Sendable {
    /// The instant.
    public var date: Date

    /// Wraps an instant.
    public init(_ date: Date) { self.date = date }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let date = RFC3339.parse(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected a MicroTime, found \"\(text)\"")
        }
        self.date = date
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(RFC3339.format(date))
    }
}
