/// What starts a job's runs (`CRON_EXECUTOR`); the ledger records it with each run, beside the
/// executor's handle.
public enum ExecutorKind: String, CaseIterable, Hashable, Sendable, Codable, CustomStringConvertible {
    /// A Kubernetes Job on an EKS Fargate profile (the default).
    case kubernetes
    /// A child process on this host.
    case local
    /// An ECS task with launch type FARGATE.
    case ecs

    public var description: String { rawValue }
}
