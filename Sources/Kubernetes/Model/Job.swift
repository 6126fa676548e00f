public import Foundation

/// A `batch/v1` Job. Fields this type does not model are kept from the JSON it was decoded from and
/// written back, so a `CRON_TEMPLATE` manifest survives decode, edit and encode intact.
public struct Job: Hashable, Sendable {
    public var apiVersion = "batch/v1"
    public var kind = "Job"
    public var metadata: ObjectMeta
    public var spec: JobSpec?
    public var status: JobStatus?
    /// The JSON this Job was decoded from (nil when built in code); see ``JSONValue/overlaid(with:)``.
    public var decodedJSON: JSONValue?

    /// Creates a Job.
    public init(metadata: ObjectMeta, spec: JobSpec? = nil) {
        self.metadata = metadata
        self.spec = spec
    }
}

/// `batch/v1` JobSpec.
public struct JobSpec: Codable, Hashable, Sendable {
    public var parallelism: Int?
    public var completions: Int?
    public var backoffLimit: Int?
    public var activeDeadlineSeconds: Int64?
    public var ttlSecondsAfterFinished: Int?
    public var suspend: Bool?
    public var template: PodTemplateSpec

    /// Creates a Job spec.
    public init(template: PodTemplateSpec, backoffLimit: Int? = nil, activeDeadlineSeconds: Int64? = nil) {
        self.template = template
        self.backoffLimit = backoffLimit
        self.activeDeadlineSeconds = activeDeadlineSeconds
    }
}

/// `batch/v1` JobStatus.
public struct JobStatus: Codable, Hashable, Sendable {
    public var active: Int?
    public var succeeded: Int?
    public var failed: Int?
    public var startTime: Date?
    public var completionTime: Date?
    public var conditions: [JobCondition]?

    /// Whether the Job finished, successfully or not (a `Complete` or `Failed` condition is `True`).
    public var isFinished: Bool {
        conditions?.contains { ($0.type == "Complete" || $0.type == "Failed") && $0.status == "True" } ?? false
    }
}

/// `batch/v1` JobCondition.
public struct JobCondition: Codable, Hashable, Sendable {
    public var type: String
    public var status: String
    public var reason: String?
    public var message: String?
    public var lastTransitionTime: Date?
}

/// `core/v1` PodTemplateSpec.
public struct PodTemplateSpec: Codable, Hashable, Sendable {
    public var metadata: ObjectMeta?
    public var spec: PodSpec?

    /// Creates a pod template.
    public init(metadata: ObjectMeta? = nil, spec: PodSpec?) {
        self.metadata = metadata
        self.spec = spec
    }
}

extension Job: Codable {
    private enum CodingKeys: String, CodingKey { case apiVersion, kind, metadata, spec, status }

    public init(from decoder: any Decoder) throws {
        if decoder.userInfo[KubernetesJSON.keepsUnmodelledFields] as? Bool != false {
            decodedJSON = try JSONValue(from: decoder)
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        apiVersion = try container.decodeIfPresent(String.self, forKey: .apiVersion) ?? "batch/v1"
        kind = try container.decodeIfPresent(String.self, forKey: .kind) ?? "Job"
        metadata = try container.decodeIfPresent(ObjectMeta.self, forKey: .metadata) ?? ObjectMeta()
        spec = try container.decodeIfPresent(JobSpec.self, forKey: .spec)
        status = try container.decodeIfPresent(JobStatus.self, forKey: .status)
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
