public import Kubernetes

/// Whether a run's pod was placed by Fargate: pure, read from the pod alone.
///
/// A pod that no Fargate profile matches (its namespace and labels against the profiles'
/// selectors) is left to the cluster's default scheduler: it runs on an EC2 node if one fits —
/// billed as that node, not as Fargate, and without Fargate's isolation — or stays Pending. EKS
/// gives every Fargate pod a node of its own named `fargate-ip-…` and the `CapacityProvisioned`
/// annotation with the size it bills.
///
/// The node's own label (`eks.amazonaws.com/compute-type: fargate`) is not read: that takes a
/// ClusterRole to get nodes, and the daemon's Role is namespaced (deploy/kubernetes/rbac.yaml); the
/// node's name says the same.
public enum FargatePlacement: Hashable, Sendable {
    /// Not placed yet (no node).
    case unknown
    /// On a Fargate node, with its size.
    case fargate(node: String, capacity: String)
    /// Placed elsewhere, and why that is known.
    case notFargate(node: String, why: String)

    /// The annotation Fargate sets on the pods it runs.
    static let capacityAnnotation = OwnershipLabels.capacityProvisioned
    /// The prefix of every Fargate node's name.
    static let fargateNodePrefix = "fargate-"

    /// Judges a pod.
    public init(pod: Pod) {
        guard let node = pod.spec?.nodeName, !node.isEmpty else {
            self = .unknown
            return
        }
        let capacity = pod.metadata.annotations?[Self.capacityAnnotation]
        var problems: [String] = []
        if !node.hasPrefix(Self.fargateNodePrefix) { problems.append("its node \(node) is not a Fargate node") }
        if capacity == nil { problems.append("it has no \(Self.capacityAnnotation) annotation") }
        if let capacity, problems.isEmpty {
            self = .fargate(node: node, capacity: capacity)
        } else {
            self = .notFargate(node: node, why: problems.joined(separator: " and "))
        }
    }

    /// The warning to give, or `nil` when the pod is on Fargate or not placed yet.
    public var warning: String? {
        guard case .notFargate(_, let why) = self else { return nil }
        return "not on Fargate: \(why) (does a Fargate profile select the pod's namespace and labels?)"
    }
}
