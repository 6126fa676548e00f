public import Foundation

/// `metav1.ObjectMeta`: the fields fargate-cron reads or sets.
public struct ObjectMeta: Codable, Hashable, Sendable {
    public var name: String?
    public var generateName: String?
    public var namespace: String?
    public var uid: String?
    public var resourceVersion: String?
    public var generation: Int64?
    public var creationTimestamp: Date?
    public var deletionTimestamp: Date?
    public var labels: [String: String]?
    public var annotations: [String: String]?
    public var ownerReferences: [OwnerReference]?
    public var finalizers: [String]?

    /// Creates metadata; most objects need only a name, a namespace and labels.
    public init(
        name: String? = nil, namespace: String? = nil, labels: [String: String]? = nil,
        annotations: [String: String]? = nil
    ) {
        self.name = name
        self.namespace = namespace
        self.labels = labels
        self.annotations = annotations
    }
}

/// `metav1.OwnerReference`: ties a Pod to its Job, so that deleting the Job deletes the Pod.
public struct OwnerReference: Codable, Hashable, Sendable {
    public var apiVersion: String
    public var kind: String
    public var name: String
    public var uid: String
    public var controller: Bool?
    public var blockOwnerDeletion: Bool?
}

/// `metav1.ListMeta`.
public struct ListMeta: Codable, Hashable, Sendable {
    /// The version to start a watch from, so that it sees every change after this list.
    public var resourceVersion: String?
    /// The token for the next page, if the server paginated.
    public var `continue`: String?
}

/// A list answer (`JobList`, `PodList`, ...).
public struct ObjectList<Item: Decodable & Sendable>: Decodable, Sendable {
    public var metadata: ListMeta
    public var items: [Item]
}

/// `metav1.Status`: what the API server answers when it refuses or fails a request.
public struct Status: Codable, Hashable, Sendable {
    public var status: String?
    public var message: String?
    /// A CamelCase machine-readable reason: `AlreadyExists`, `NotFound`, `Conflict`, `Expired`, ...
    public var reason: String?
    public var code: Int?
    public var details: StatusDetails?

    /// Creates a status (tests and fake transports use this).
    public init(status: String? = "Failure", message: String?, reason: String?, code: Int?) {
        self.status = status
        self.message = message
        self.reason = reason
        self.code = code
    }
}

/// `metav1.StatusDetails`.
public struct StatusDetails: Codable, Hashable, Sendable {
    public var name: String?
    public var group: String?
    public var kind: String?
    public var uid: String?
    public var retryAfterSeconds: Int?
}
