import HTTP
import Synchronization

/// One list-then-watch of one kind of object, in one namespace (or all) with one label selector,
/// and the cache it keeps for every consumer: client-go's shared informer.
///
/// ``run()`` lists, then watches from the list's resourceVersion with bookmarks; when a watch ends
/// or its connection drops it watches again from the last version it saw (of an event or a
/// bookmark), so nothing is lost or seen twice; on 410 Gone it lists once more and tells its
/// subscribers only the difference. Failures back off (jittered, exponential, from the client's
/// ``RetryPolicy``; each request already honours `Retry-After`). Consumers read the cache by name
/// (``object(named:in:)``), wait for the first list (``waitForSync()``), and subscribe to changes
/// (``events()``), any number of them, each with its own buffer.
///
/// The cache and the subscriber list sit behind a `Mutex`, not in an actor: reads are synchronous
/// look-ups by name from any context (as client-go's listers are), and a new subscriber must get
/// the current objects and then every later change with no gap and no repeat, which one lock
/// around "apply and publish" and "replay and register" guarantees.
public final class Informer<T: KubernetesResource>: Sendable {
    /// The namespace watched, or nil for all.
    public let namespace: String?
    /// The label selector, such as `app.kubernetes.io/managed-by=fargate-cron`.
    public let labelSelector: String?
    private let client: KubeClient
    private let connectionTimeout: Duration
    private let shared = Mutex(Shared())

    /// What one informer has asked of the API server so far.
    public struct Statistics: Sendable, Hashable {
        /// Lists made: the first, and one after each 410 Gone.
        public var lists = 0
        /// Watch connections opened (each reconnect is one more).
        public var watches = 0
    }

    private enum Phase {
        case idle, running
        case ended(KubernetesError?)
    }

    private struct Shared {
        var state = InformerState<T>()
        var phase = Phase.idle
        var subscribers: [Int: AsyncThrowingStream<InformerEvent<T>, any Error>.Continuation] = [:]
        var syncWaiters: [Int: CheckedContinuation<Void, any Error>] = [:]
        var nextID = 0
        var statistics = Statistics()
    }

    /// Creates an informer; nothing happens until ``run()``.
    /// - Parameter connectionTimeout: asks the server to end each watch connection after this long
    ///   (`timeoutSeconds`); the informer then watches again from where it was.
    public init(
        client: KubeClient, namespace: String?, labelSelector: String? = nil, connectionTimeout: Duration = .seconds(300)
    ) {
        self.client = client
        self.namespace = namespace
        self.labelSelector = labelSelector
        self.connectionTimeout = connectionTimeout
    }

    // MARK: - Reading

    /// The cached object of that name (in `namespace`, for an informer of all namespaces).
    public func object(named name: String, in namespace: String? = nil) -> T? {
        let key = InformerState<T>.key(namespace: namespace ?? self.namespace, name: name)
        return shared.withLock { $0.state.objects[key] }
    }

    /// Every cached object, ordered by namespace and name.
    public var objects: [T] {
        shared.withLock { shared in shared.state.objects.sorted { $0.key < $1.key }.map(\.value) }
    }

    /// Whether the first list has filled the cache.
    public var hasSynced: Bool { shared.withLock { $0.state.hasSynced } }

    /// The version the cache is at: the last list's, event's or bookmark's.
    public var resourceVersion: String? { shared.withLock { $0.state.resourceVersion } }

    /// What the informer has asked of the API server so far.
    public var statistics: Statistics { shared.withLock { $0.statistics } }

    /// Returns once the first list has filled the cache.
    /// - Throws: the error that ended ``run()``; `CancellationError` if the waiting task, or the
    ///   informer (before its first list), was cancelled.
    public func waitForSync() async throws {
        let id = shared.withLock { shared in
            shared.nextID += 1
            return shared.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let now: Result<Void, any Error>? = shared.withLock { shared in
                    if shared.state.hasSynced { return .success(()) }
                    if case .ended(let error) = shared.phase { return .failure(error ?? CancellationError()) }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    shared.syncWaiters[id] = continuation
                    return nil
                }
                if let now { continuation.resume(with: now) }
            }
        } onCancel: {
            shared.withLock { $0.syncWaiters.removeValue(forKey: id) }?.resume(throwing: CancellationError())
        }
    }

    /// The changes to the cache from now on, starting with every object it holds now as `added`.
    /// Ends when ``run()`` ends: normally when it was cancelled, with its error otherwise. Each
    /// subscriber has its own unbounded buffer: a subscriber that stops reading must stop iterating.
    public func events() -> AsyncThrowingStream<InformerEvent<T>, any Error> {
        let (stream, continuation) = AsyncThrowingStream<InformerEvent<T>, any Error>.makeStream()
        let id = shared.withLock { shared in
            shared.nextID += 1
            return shared.nextID
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.shared.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        let ended: KubernetesError?? = shared.withLock { shared in
            if case .ended(let error) = shared.phase { return .some(error) }
            for (_, object) in shared.state.objects.sorted(by: { $0.key < $1.key }) {
                continuation.yield(.added(object))
            }
            shared.subscribers[id] = continuation
            return .none
        }
        if case .some(let error) = ended { continuation.finish(throwing: error) }
        return stream
    }

    // MARK: - Running

    /// Lists and watches until the calling task is cancelled (then returns), like a
    /// swift-service-lifecycle `Service`: run it in a task group its owner holds. Call it once.
    /// - Throws: a failure no retry can mend (401, 403, bad credentials or configuration), which
    ///   also ends every subscriber's stream and sync wait.
    public func run() async throws {
        shared.withLock { shared in
            guard case .idle = shared.phase else { preconditionFailure("Informer.run() called twice") }
            shared.phase = .running
        }
        var failure: KubernetesError?
        defer { end(failure) }
        var needsList = true
        var failures = 0
        while !Task.isCancelled {
            do {
                if needsList {
                    try await list()
                    needsList = false
                    failures = 0
                }
                try await watch(failures: &failures)
                // The server ended the watch (its timeout): watch again at once from where it was.
            } catch let error where error.isGone {
                needsList = true  // what the cache knows is older than the server keeps: list once more
            } catch let error where error == .cancelled {
                break
            } catch let error where Watcher<T>.isTerminal(error) {
                failure = error
                throw error
            } catch {
                failures += 1
                do {
                    try await client.retry.sleep(client.retry.delay(beforeRetry: failures, retryAfter: nil))
                } catch {
                    break  // cancelled while backing off
                }
            }
        }
    }

    private func list() async throws(KubernetesError) {
        let list = try await client.list(T.self, in: namespace, labelSelector: labelSelector)
        let waiters = shared.withLock { shared in
            shared.statistics.lists += 1
            let changes = shared.state.replace(with: list.items, resourceVersion: list.metadata.resourceVersion)
            Self.publish(changes, to: shared.subscribers)
            defer { shared.syncWaiters = [:] }
            return shared.syncWaiters.values
        }
        for waiter in waiters { waiter.resume() }
    }

    private func watch(failures: inout Int) async throws(KubernetesError) {
        let version = shared.withLock { $0.state.resourceVersion }
        let events = try await client.watch(
            T.self, in: namespace, labelSelector: labelSelector, resourceVersion: version, timeout: connectionTimeout)
        shared.withLock { $0.statistics.watches += 1 }
        do {
            for try await event in events {
                failures = 0
                try shared.withLock { shared throws(KubernetesError) in
                    Self.publish(try shared.state.apply(event), to: shared.subscribers)
                }
            }
        } catch let error as KubernetesError {
            throw error
        } catch is CancellationError {
            throw .cancelled
        } catch let error as CurlError {
            throw .transport(error, request: "watch \(T.qualifiedName)")  // the connection dropped mid-watch
        } catch {
            throw .invalidResponse("watch \(T.qualifiedName): \(error)")
        }
    }

    private static func publish(
        _ changes: [InformerEvent<T>], to subscribers: [Int: AsyncThrowingStream<InformerEvent<T>, any Error>.Continuation]
    ) {
        guard !changes.isEmpty else { return }
        for subscriber in subscribers.values {
            for change in changes { subscriber.yield(change) }
        }
    }

    /// Ends subscribers and sync waiters (outside the lock: finishing a stream runs its termination
    /// handler, which takes the lock).
    private func end(_ failure: KubernetesError?) {
        let (subscribers, waiters) = shared.withLock { shared in
            shared.phase = .ended(failure)
            defer {
                shared.subscribers = [:]
                shared.syncWaiters = [:]
            }
            return (Array(shared.subscribers.values), Array(shared.syncWaiters.values))
        }
        for subscriber in subscribers { subscriber.finish(throwing: failure) }
        for waiter in waiters { waiter.resume(throwing: failure ?? CancellationError()) }
    }
}
