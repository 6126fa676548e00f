/// A kind of object the client can create, read, list, watch and delete.
public protocol KubernetesResource: Codable, Sendable {
    /// The API path of the group and version: `/api/v1`, `/apis/batch/v1`.
    static var apiPath: String { get }
    /// The plural resource name in URLs: `jobs`, `pods`.
    static var plural: String { get }
    /// The group, for messages: `batch`, `` for core.
    static var group: String { get }
    /// The object's metadata.
    var metadata: ObjectMeta { get set }
}

extension KubernetesResource {
    /// `jobs.batch`, `pods`: how Kubernetes names a resource in messages.
    static var qualifiedName: String { group.isEmpty ? plural : "\(plural).\(group)" }
}

extension Job: KubernetesResource {
    public static let apiPath = "/apis/batch/v1"
    public static let plural = "jobs"
    public static let group = "batch"
}

extension Pod: KubernetesResource {
    public static let apiPath = "/api/v1"
    public static let plural = "pods"
    public static let group = ""
}

extension Lease: KubernetesResource {
    public static let apiPath = "/apis/coordination.k8s.io/v1"
    public static let plural = "leases"
    public static let group = "coordination.k8s.io"
}

extension Event: KubernetesResource {
    public static let apiPath = "/api/v1"
    public static let plural = "events"
    public static let group = ""
}
