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
/// (``object(named:in:)``) or by the one index (``objects(indexedAs:)``, client-go's indexer),
/// wait for the first list (``waitForSync()``), and subscribe to changes: to all of them
/// (``events()``, each subscriber with its own buffer), or to those of the objects under one index
/// value (``subscribe(indexedAs:_:)``, a handler: what a run follows of its own Job and pods, so
/// that a thousand runs do not each filter every event).
///
/// The cache and the subscriber lists sit behind a `Mutex`, not in an actor: reads are synchronous
/// look-ups from any context (as client-go's listers are), and a new subscriber must get the current
/// objects and then every later change with no gap and no repeat, which one lock around "apply and
/// publish" and "replay and register" guarantees.
public final class Informer<T: KubernetesResource>: Sendable {
    /// The namespace watched, or nil for all.
    public let namespace: String?
    /// The label selector, such as `app.kubernetes.io/managed-by=fargate-cron`.
    public let labelSelector: String?
    private let client: KubeClient
    private let connectionTimeout: Duration
    private let transform: (@Sendable (T) -> T)?
    /// Whether the list and watch keep each ``Job``'s or ``Pod``'s `decodedJSON`.
    public let keepsUnmodelledFields: Bool
    private let shared: Mutex<Shared>

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

    /// A handler of the changes under one index value.
    public typealias Handler = @Sendable (InformerEvent<T>) -> Void

    private struct Shared {
        var state: InformerState<T>
        var phase = Phase.idle
        var subscribers: [Int: AsyncThrowingStream<InformerEvent<T>, any Error>.Continuation] = [:]
        /// Handlers by index value, then by subscription id.
        var handlers: [String: [Int: Handler]] = [:]
        var syncWaiters: [Int: CheckedContinuation<Void, any Error>] = [:]
        var nextID = 0
        var statistics = Statistics()
        /// When the server last answered: a list, a watch opened, an event or a bookmark.
        var lastContact: ContinuousClock.Instant?

        mutating func newID() -> Int {
            nextID += 1
            return nextID
        }
    }

    /// Creates an informer; nothing happens until ``run()``.
    /// - Parameters:
    ///   - connectionTimeout: asks the server to end each watch connection after this long
    ///     (`timeoutSeconds`); the informer then watches again from where it was.
    ///   - indexedBy: what each object is indexed under (nil: not indexed), for
    ///     ``objects(indexedAs:)`` and ``subscribe(indexedAs:_:)``; such as a pod's `job-name` label.
    ///   - transform: applied to every object before it is cached and published (client-go's
    ///     `SetTransform`), to keep only what consumers read: a cache of every pod is the informer's
    ///     whole memory.
    ///   - keepsUnmodelledFields: false decodes every listed and watched ``Job`` or ``Pod`` without
    ///     its `decodedJSON` (the whole object as a `JSONValue` tree, which costs as much as the
    ///     typed decode again): for consumers that never write an object back. Decoding the tree
    ///     only for a `transform` to drop it was most of a 500-run herd's watch-decoding CPU.
    public init(
        client: KubeClient, namespace: String?, labelSelector: String? = nil, connectionTimeout: Duration = .seconds(300),
        indexedBy: (@Sendable (T) -> String?)? = nil, transform: (@Sendable (T) -> T)? = nil,
        keepsUnmodelledFields: Bool = true
    ) {
        self.client = client
        self.namespace = namespace
        self.labelSelector = labelSelector
        self.connectionTimeout = connectionTimeout
        self.transform = transform
        self.keepsUnmodelledFields = keepsUnmodelledFields
        self.shared = Mutex(Shared(state: InformerState(indexKey: indexedBy)))
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

    /// The cached objects `isIncluded` accepts, ordered by namespace and name. Filtered under the
    /// lock, so that only the matches are copied and sorted: a run's clean-up and a `forbid` check
    /// look for one job's few objects among thousands (sorting copies of them all, then filtering,
    /// took half the daemon's CPU in a 500-run herd: O(runs × objects × log objects)).
    public func objects(where isIncluded: (T) -> Bool) -> [T] {
        shared.withLock { shared in
            var matches: [(key: String, value: T)] = []
            for entry in shared.state.objects where isIncluded(entry.value) { matches.append(entry) }
            return matches.sorted { $0.key < $1.key }.map(\.value)
        }
    }

    /// The cached objects indexed under `value` (see `indexedBy`), ordered by namespace and name;
    /// none when the informer has no index.
    public func objects(indexedAs value: String) -> [T] {
        shared.withLock { $0.state.objects(indexedAs: value) }
    }

    /// Whether the first list has filled the cache.
    public var hasSynced: Bool { shared.withLock { $0.state.hasSynced } }

    /// How long since the server last said anything to this informer (a list, a watch opened, an
    /// event, a bookmark); nil before the first answer. A watch whose connection stalled without
    /// failing is silent; a healthy one is not for long, since the server sends bookmarks.
    public var timeSinceContact: Duration? {
        shared.withLock { $0.lastContact }.map { .now - $0 }
    }

    /// The version the cache is at: the last list's, event's or bookmark's.
    public var resourceVersion: String? { shared.withLock { $0.state.resourceVersion } }

    /// What the informer has asked of the API server so far.
    public var statistics: Statistics { shared.withLock { $0.statistics } }

    /// Returns once the first list has filled the cache.
    /// - Throws: the error that ended ``run()``; `CancellationError` if the waiting task, or the
    ///   informer (before its first list), was cancelled.
    public func waitForSync() async throws {
        let id = shared.withLock { $0.newID() }
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
        let id = shared.withLock { $0.newID() }
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

    /// Calls `handler` with every object indexed under `value` now (as `added`), then with every
    /// later change of an object that is or was under it (a change of its index value reaches both
    /// values' handlers), in the cache's order, with no gap and no repeat, until the subscription is
    /// cancelled. The handler runs while the informer holds its lock: it must be quick and must not
    /// call the informer (yielding to an `AsyncStream` is the intended use).
    /// - Returns: the subscription; cancel it when done, or the handler stays registered.
    public func subscribe(indexedAs value: String, _ handler: @escaping Handler) -> InformerSubscription {
        let id = shared.withLock { shared in
            let id = shared.newID()
            for object in shared.state.objects(indexedAs: value) { handler(.added(object)) }
            shared.handlers[value, default: [:]][id] = handler
            return id
        }
        return InformerSubscription { [weak self] in
            self?.shared.withLock { shared in
                shared.handlers[value]?[id] = nil
                if shared.handlers[value]?.isEmpty == true { shared.handlers[value] = nil }
            }
        }
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
        let list = try await client.list(
            T.self, in: namespace, labelSelector: labelSelector, keepingUnmodelledFields: keepsUnmodelledFields)
        let items = transform.map { list.items.map($0) } ?? list.items
        let waiters = shared.withLock { shared in
            shared.statistics.lists += 1
            shared.lastContact = .now
            let changes = shared.state.replace(with: items, resourceVersion: list.metadata.resourceVersion)
            Self.publish(changes, in: &shared)
            defer { shared.syncWaiters = [:] }
            return shared.syncWaiters.values
        }
        for waiter in waiters { waiter.resume() }
    }

    private func watch(failures: inout Int) async throws(KubernetesError) {
        let version = shared.withLock { $0.state.resourceVersion }
        let events = try await client.watch(
            T.self, in: namespace, labelSelector: labelSelector, resourceVersion: version, timeout: connectionTimeout,
            keepingUnmodelledFields: keepsUnmodelledFields)
        shared.withLock { shared in
            shared.statistics.watches += 1
            shared.lastContact = .now
        }
        do {
            for try await event in events {
                failures = 0
                let event = transformed(event)
                try shared.withLock { shared throws(KubernetesError) in
                    shared.lastContact = .now
                    Self.publish(try shared.state.apply(event), in: &shared)
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

    private func transformed(_ event: WatchEvent<T>) -> WatchEvent<T> {
        guard let transform else { return event }
        switch event {
        case .added(let object): return .added(transform(object))
        case .modified(let object): return .modified(transform(object))
        case .deleted(let object): return .deleted(transform(object))
        case .bookmark, .error: return event
        }
    }

    private static func publish(_ changes: [InformerEvent<T>], in shared: inout Shared) {
        guard !changes.isEmpty else { return }
        for subscriber in shared.subscribers.values {
            for change in changes { subscriber.yield(change) }
        }
        guard !shared.handlers.isEmpty, let indexKey = shared.state.indexKey else { return }
        for change in changes {
            let values: [String?]
            switch change {
            case .added(let object), .deleted(let object): values = [indexKey(object)]
            case .updated(let old, let new):
                let (before, after) = (indexKey(old), indexKey(new))
                values = before == after ? [after] : [before, after]
            }
            for case let value? in values {
                guard let handlers = shared.handlers[value] else { continue }
                for handler in handlers.values { handler(change) }
            }
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
                shared.handlers = [:]
            }
            return (Array(shared.subscribers.values), Array(shared.syncWaiters.values))
        }
        for subscriber in subscribers { subscriber.finish(throwing: failure) }
        for waiter in waiters { waiter.resume(throwing: failure ?? CancellationError()) }
    }
}

/// A handler registered with ``Informer/subscribe(indexedAs:_:)``; cancelling it unregisters it.
public final class InformerSubscription: Sendable {
    private let onCancel: @Sendable () -> Void

    init(onCancel: @escaping @Sendable () -> Void) { self.onCancel = onCancel }

    /// Stops the handler being called (it may still be running once, on another thread).
    public func cancel() { onCancel() }
}
