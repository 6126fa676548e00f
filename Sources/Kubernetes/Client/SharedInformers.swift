import Synchronization

/// The informers of one client, one per (kind, namespace, label selector): asking twice for the
/// same returns the same ``Informer``, so every consumer shares one list-then-watch and one cache
/// (client-go's `SharedInformerFactory`).
///
/// ``run()`` runs every informer, including those asked for while it runs, as children of one task
/// group: they live exactly as long as the task that runs the factory.
///
/// An informer that fails for good (a 403 for one namespace, say) ends alone: its sync waiters and
/// subscribers get the error, `onFailure` hears of it, and the other informers go on, so that one
/// namespace's missing permission does not blind the others.
public final class SharedInformers: Sendable {
    private let client: KubeClient
    private let connectionTimeout: Duration
    private let onFailure: @Sendable (_ informer: String, _ error: any Error) -> Void
    private let registry = Mutex(Registry())

    private typealias Job = @Sendable () async throws -> Void

    private enum Signal {
        case start(key: String, Job)
    }

    private struct Registry {
        var informers: [String: any Sendable] = [:]
        /// Informers made before ``run()`` started, waiting for it.
        var pending: [(key: String, job: Job)] = []
        /// How ``run()`` is told about informers made while it runs.
        var signals: AsyncStream<Signal>.Continuation?
    }

    /// Creates the factory; no informer runs until ``run()``.
    /// - Parameters:
    ///   - connectionTimeout: each informer's watch connection length (`timeoutSeconds`).
    ///   - onFailure: told when an informer ends for good, with its key (`kind|namespace|selector`)
    ///     and the error (its consumers get the error too).
    public init(
        client: KubeClient, connectionTimeout: Duration = .seconds(300),
        onFailure: @escaping @Sendable (_ informer: String, _ error: any Error) -> Void = { _, _ in }
    ) {
        self.client = client
        self.connectionTimeout = connectionTimeout
        self.onFailure = onFailure
    }

    /// The informer of `type` objects in `namespace` (nil: all) selected by `labelSelector`; the
    /// same instance for the same three. It starts with ``run()`` (at once if that already runs).
    /// - Parameters:
    ///   - indexedBy: the informer's index (see ``Informer``); taken from the first call for these three.
    ///   - transform: the informer's transform; taken from the first call for these three.
    ///   - keepsUnmodelledFields: whether its objects keep their `decodedJSON` (see ``Informer``);
    ///     taken from the first call for these three.
    public func informer<T: KubernetesResource>(
        _ type: T.Type, namespace: String?, labelSelector: String? = nil,
        indexedBy: (@Sendable (T) -> String?)? = nil, transform: (@Sendable (T) -> T)? = nil,
        keepsUnmodelledFields: Bool = true
    ) -> Informer<T> {
        let key = "\(T.qualifiedName)|\(namespace ?? "")|\(labelSelector ?? "")"
        return registry.withLock { registry in
            // The key names the kind, so a stored informer under it is an Informer<T>.
            if let existing = registry.informers[key] { return existing as! Informer<T> }
            let informer = Informer<T>(
                client: client, namespace: namespace, labelSelector: labelSelector, connectionTimeout: connectionTimeout,
                indexedBy: indexedBy, transform: transform, keepsUnmodelledFields: keepsUnmodelledFields)
            registry.informers[key] = informer
            let job: Job = { try await informer.run() }
            if let signals = registry.signals {
                signals.yield(.start(key: key, job))
            } else {
                registry.pending.append((key, job))
            }
            return informer
        }
    }

    /// Whether ``run()`` is running: informers asked for now start at once.
    public var isRunning: Bool { registry.withLock { $0.signals != nil } }

    /// Runs every informer until the calling task is cancelled (then returns once all have stopped).
    /// An informer that fails for good ends alone (see the type's notes). Call it once.
    public func run() async {
        let (signals, continuation) = AsyncStream<Signal>.makeStream()
        let pending = registry.withLock { registry in
            precondition(registry.signals == nil, "SharedInformers.run() called twice")
            registry.signals = continuation
            defer { registry.pending = [] }
            return registry.pending
        }
        for (key, job) in pending { continuation.yield(.start(key: key, job)) }
        defer { registry.withLock { $0.signals = nil } }
        await withTaskCancellationHandler {
            await withDiscardingTaskGroup { group in
                // Ends when the task running the factory is cancelled.
                for await signal in signals {
                    switch signal {
                    case .start(let key, let job):
                        group.addTask { [onFailure] in
                            do {
                                try await job()
                            } catch {
                                onFailure(key, error)
                            }
                        }
                    }
                }
                group.cancelAll()
            }
        } onCancel: {
            continuation.finish()
        }
    }
}
