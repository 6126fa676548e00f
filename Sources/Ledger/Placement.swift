/// Whether a run's pod ran on AWS Fargate, as the executor judged it from the pod (its node and
/// its `CapacityProvisioned` annotation).
public enum Placement: String, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    /// On a Fargate node, billed as the size Fargate provisioned.
    case fargate
    /// Elsewhere: an EC2 node the default scheduler chose because no Fargate profile matched.
    case notFargate = "not-fargate"

    public var description: String { rawValue }
}

/// What kept a run from starting, when the executor failed it early for it (the run's reason
/// says it in the cluster's words). The ledger's own names, as ``FailureCause`` is.
public enum StartFailure: String, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    /// Admission refused the pod (Pod Security, an admission webhook).
    case admissionRefused = "admission-refused"
    /// A ResourceQuota refused the pod.
    case quotaExceeded = "quota-exceeded"
    /// The pod's service account does not exist.
    case serviceAccountMissing = "service-account-missing"
    /// The API server refused the pod for another reason.
    case podRefused = "pod-refused"
    /// An image could not be pulled.
    case imagePull = "image-pull"
    /// An image reference can never be pulled.
    case invalidImage = "invalid-image"
    /// A container could not be set up (a missing Secret or ConfigMap).
    case containerConfig = "container-config"
    /// No node could take the pod.
    case unschedulable

    public var description: String { rawValue }
}
