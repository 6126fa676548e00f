/// What an executor needs to find a run again — after a restart, to adopt it, or to cancel it —
/// and what the ledger keeps of it, the same for every executor: the executor that started the run,
/// its own reference (a Kubernetes Job's `NAMESPACE/NAME`, a local process's `pid=… start=…`, an ECS
/// task's ARN), and the uid of the object the reference names when names can be reused (a Job's uid).
public struct RunHandle: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The executor that started the run.
    public var executor: ExecutorKind
    /// The executor's own reference to the run.
    public var reference: String
    /// The uid of the object `reference` names, when the executor has one apart from the reference.
    public var uid: String?

    public init(executor: ExecutorKind, reference: String, uid: String? = nil) {
        self.executor = executor
        self.reference = reference
        self.uid = uid
    }

    public var description: String { "\(executor):\(reference)" }
}
