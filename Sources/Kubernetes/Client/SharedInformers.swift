import Synchronization

/// The informers of one client, one per (kind, namespace, label selector): asking twice for the
/// same returns the same ``Informer``, so every consumer shares one list-then-watch and one cache
/// (client-go's `SharedInformerFactory`).
///
/// ``run()`` runs every informer, including those asked for while it runs, as children of one task
/// group: they live exactly as long as the task that runs the factory.
public final class SharedInformers: Sendable {
    private let client: KubeClient
    private let connectionTimeout: Duration
    private let registry = Mutex(Registry())

    private typealias Job = @Sendable () async throws -> Void

    private enum Signal {
        case start(Job)
        case failed(any Error)
    }

    private struct Registry {
        var informers: [String: any Sendable] = [:]
        /// Informers made before ``run()`` started, waiting for it.
        var pending: [Job] = []
        /// How ``run()`` is told about informers made while it runs.
        var signals: AsyncStream<Signal>.Continuation?
    }

    /// Creates the factory; no informer runs until ``run()``.
    /// - Parameter connectionTimeout: each informer's watch connection length (`timeoutSeconds`).
    public init(client: KubeClient, connectionTimeout: Duration = .seconds(300)) {
        self.client = client
        self.connectionTimeout = connectionTimeout
    }

    /// The informer of `type` objects in `namespace` (nil: all) selected by `labelSelector`; the
    /// same instance for the same three. It starts with ``run()`` (at once if that already runs).
    public func informer<T: KubernetesResource>(
        _ type: T.Type, namespace: String?, labelSelector: String? = nil
    ) -> Informer<T> {
        let key = "\(T.qualifiedName)|\(namespace ?? "")|\(labelSelector ?? "")"
        return registry.withLock { registry in
            // The key names the kind, so a stored informer under it is an Informer<T>.
            if let existing = registry.informers[key] { return existing as! Informer<T> }
            let informer = Informer<T>(
                client: client, namespace: namespace, labelSelector: labelSelector, connectionTimeout: connectionTimeout)
            registry.informers[key] = informer
            let job: Job = { try await informer.run() }
            if let signals = registry.signals {
                signals.yield(.start(job))
            } else {
                registry.pending.append(job)
            }
            return informer
        }
    }

    /// Runs every informer until the calling task is cancelled (then returns once all have stopped).
    /// Call it once.
    /// - Throws: the first failure an informer cannot mend (401, 403, credentials); the others are
    ///   then cancelled.
    public func run() async throws {
        let (signals, continuation) = AsyncStream<Signal>.makeStream()
        let pending = registry.withLock { registry in
            precondition(registry.signals == nil, "SharedInformers.run() called twice")
            registry.signals = continuation
            defer { registry.pending = [] }
            return registry.pending
        }
        for job in pending { continuation.yield(.start(job)) }
        defer { continuation.finish() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            // Ends when the task running the factory is cancelled.
            for await signal in signals {
                switch signal {
                case .start(let job):
                    group.addTask {
                        do {
                            try await job()
                        } catch {
                            continuation.yield(.failed(error))
                        }
                    }
                case .failed(let error):
                    group.cancelAll()
                    throw error
                }
            }
            group.cancelAll()
        }
    }
}
