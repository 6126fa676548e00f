public import Foundation

/// A `core/v1` Pod: what fargate-cron reads of a run's pod. Unmodelled fields round-trip as in ``Job``.
public struct Pod: Hashable, Sendable {
    public var apiVersion = "v1"
    public var kind = "Pod"
    public var metadata: ObjectMeta
    public var spec: PodSpec?
    public var status: PodStatus?
    /// The JSON this Pod was decoded from.
    public var decodedJSON: JSONValue?

    /// Creates a Pod.
    public init(metadata: ObjectMeta, spec: PodSpec? = nil) {
        self.metadata = metadata
        self.spec = spec
    }
}

/// `core/v1` PodSpec.
public struct PodSpec: Codable, Hashable, Sendable {
    /// Run one after another before ``containers``; one with `restartPolicy: Always` is a native
    /// sidecar, started in turn and then kept running beside them.
    public var initContainers: [Container]?
    public var containers: [Container]
    public var restartPolicy: String?
    public var serviceAccountName: String?
    public var activeDeadlineSeconds: Int64?
    public var nodeSelector: [String: String]?
    /// The node the scheduler placed the pod on (on EKS Fargate, `fargate-ip-…`, a node of its own).
    public var nodeName: String?
    /// Which scheduler places the pod (`fargate-scheduler` when a Fargate profile matched at admission).
    public var schedulerName: String?

    /// Creates a pod spec.
    public init(containers: [Container], restartPolicy: String? = nil) {
        self.containers = containers
        self.restartPolicy = restartPolicy
    }
}

/// `core/v1` Container.
public struct Container: Codable, Hashable, Sendable {
    public var name: String
    public var image: String?
    public var command: [String]?
    public var args: [String]?
    public var env: [EnvVar]?
    public var resources: ResourceRequirements?
    /// `Always` on an init container makes it a native sidecar (Kubernetes 1.29+); nothing else is allowed.
    public var restartPolicy: String?

    /// Creates a container.
    public init(name: String, image: String?, command: [String]? = nil, env: [EnvVar]? = nil) {
        self.name = name
        self.image = image
        self.command = command
        self.env = env
    }
}

/// `core/v1` EnvVar; `valueFrom` is kept as JSON.
public struct EnvVar: Codable, Hashable, Sendable {
    public var name: String
    public var value: String?
    public var valueFrom: JSONValue?

    /// Creates a plain variable.
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// `core/v1` ResourceRequirements (quantities as the API writes them: `500m`, `1Gi`).
///
/// A quantity may also be a JSON number (`cpu: 1` in a template), as the API server's decoder
/// accepts it: it is read as its decimal text.
public struct ResourceRequirements: Codable, Hashable, Sendable {
    public var limits: [String: String]?
    public var requests: [String: String]?

    /// Creates requirements.
    public init(limits: [String: String]? = nil, requests: [String: String]? = nil) {
        self.limits = limits
        self.requests = requests
    }

    private enum CodingKeys: String, CodingKey { case limits, requests }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        limits = try Self.quantities(container, .limits)
        requests = try Self.quantities(container, .requests)
    }

    private static func quantities(
        _ container: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys
    ) throws -> [String: String]? {
        guard let values = try container.decodeIfPresent([String: JSONValue].self, forKey: key) else { return nil }
        return try values.mapValues { value in
            switch value {
            case .string(let text): return text
            case .integer(let number): return String(number)
            case .double(let number) where number.isFinite: return "\(number)"
            default:
                throw DecodingError.dataCorruptedError(
                    forKey: key, in: container, debugDescription: "a quantity must be a string or a number, not \(value)")
            }
        }
    }
}

/// `core/v1` PodStatus.
public struct PodStatus: Codable, Hashable, Sendable {
    /// `Pending`, `Running`, `Succeeded`, `Failed` or `Unknown`.
    public var phase: String?
    public var reason: String?
    public var message: String?
    public var startTime: Date?
    public var containerStatuses: [ContainerStatus]?
    public var initContainerStatuses: [ContainerStatus]?
    /// `PodScheduled` (its `False` says why the scheduler cannot place the pod), `DisruptionTarget`
    /// (the platform is about to take the pod away), `Ready` and the rest.
    public var conditions: [PodCondition]?

    /// Whether the pod has finished (its phase is `Succeeded` or `Failed`).
    public var isFinished: Bool { phase == "Succeeded" || phase == "Failed" }

    /// The condition of `type` whose status is `status` (`True` or `False`), if the pod has it.
    public func condition(_ type: String, is status: String) -> PodCondition? {
        conditions?.first { $0.type == type && $0.status == status }
    }
}

/// `core/v1` PodCondition.
public struct PodCondition: Codable, Hashable, Sendable {
    public var type: String
    /// `True`, `False` or `Unknown`.
    public var status: String
    public var reason: String?
    public var message: String?
    public var lastTransitionTime: Date?
}

/// `core/v1` ContainerStatus.
public struct ContainerStatus: Codable, Hashable, Sendable {
    public var name: String
    /// The image the kubelet runs (or tries to pull) for it.
    public var image: String?
    public var ready: Bool?
    public var restartCount: Int?
    public var state: ContainerState?
}

/// `core/v1` ContainerState: exactly one of the three is set.
public struct ContainerState: Codable, Hashable, Sendable {
    public var waiting: Waiting?
    public var running: Running?
    public var terminated: Terminated?

    public struct Waiting: Codable, Hashable, Sendable { public var reason: String?; public var message: String? }
    public struct Running: Codable, Hashable, Sendable { public var startedAt: Date? }
    public struct Terminated: Codable, Hashable, Sendable {
        public var exitCode: Int32
        public var reason: String?
        public var message: String?
        public var startedAt: Date?
        public var finishedAt: Date?
    }
}

extension Pod: Codable {
    private enum CodingKeys: String, CodingKey { case apiVersion, kind, metadata, spec, status }

    public init(from decoder: any Decoder) throws {
        if decoder.userInfo[KubernetesJSON.keepsUnmodelledFields] as? Bool != false {
            decodedJSON = try JSONValue(from: decoder)
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        apiVersion = try container.decodeIfPresent(String.self, forKey: .apiVersion) ?? "v1"
        kind = try container.decodeIfPresent(String.self, forKey: .kind) ?? "Pod"
        metadata = try container.decodeIfPresent(ObjectMeta.self, forKey: .metadata) ?? ObjectMeta()
        spec = try container.decodeIfPresent(PodSpec.self, forKey: .spec)
        status = try container.decodeIfPresent(PodStatus.self, forKey: .status)
    }

    public func encode(to encoder: any Encoder) throws {
        var typed: [String: JSONValue] = [
            "apiVersion": .string(apiVersion), "kind": .string(kind), "metadata": try JSONValue(encoding: metadata),
        ]
        if let spec { typed["spec"] = try JSONValue(encoding: spec) }
        if let status { typed["status"] = try JSONValue(encoding: status) }
        try (decodedJSON ?? .object([:])).overlaid(with: .object(typed)).encode(to: encoder)
    }
}
