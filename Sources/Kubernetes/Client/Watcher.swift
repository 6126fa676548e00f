/// A watch that survives: it lists first, then watches from the list's version; when the connection
/// drops or stalls it reconnects, with backoff, from the last version it saw (of an event or a
/// `BOOKMARK`), so the server replays what it kept; on 410 `Expired` it lists again and reports the
/// difference from what it knew as `ADDED`/`MODIFIED`/`DELETED` events, as client-go's informers do.
///
/// Bookmarks are consumed, not delivered. Ends with an error only for a failure retrying cannot mend
/// (401, 403, bad credentials); otherwise runs until the consuming task stops iterating.
///
/// The work happens inside the consumer's calls to `next()`, in the consumer's task: the watcher
/// starts no task of its own, so cancelling the consumer stops it, and nothing outlives it.
public struct Watcher<T: KubernetesResource>: AsyncSequence, Sendable {
    public typealias Element = WatchEvent<T>
    let client: KubeClient
    let namespace: String?
    let labelSelector: String?
    let connectionTimeout: Duration

    /// Creates a watcher.
    /// - Parameter connectionTimeout: asks the server to end each watch connection after this long
    ///   (`timeoutSeconds`); the watcher then reconnects from where it was.
    public init(
        client: KubeClient, namespace: String?, labelSelector: String? = nil,
        connectionTimeout: Duration = .seconds(300)
    ) {
        self.client = client
        self.namespace = namespace
        self.labelSelector = labelSelector
        self.connectionTimeout = connectionTimeout
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(watcher: self) }

    /// Lists, watches and reconnects as `next()` is called.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let watcher: Watcher<T>
        var known: [String: T] = [:]
        /// Whether the objects were listed since the last 410 (or ever).
        var listed = false
        var version: String?
        var failures = 0
        /// Events of a list's difference, delivered before anything else.
        var pending: [WatchEvent<T>] = []
        var pendingIndex = 0
        /// The open watch connection, if any.
        var events: WatchEvents<T>.AsyncIterator?
        var finished = false

        init(watcher: Watcher<T>) { self.watcher = watcher }

        public mutating func next() async throws -> WatchEvent<T>? {
            while !finished, !Task.isCancelled {
                if pendingIndex < pending.count {
                    defer { pendingIndex += 1 }
                    return pending[pendingIndex]
                }
                do {
                    if !listed {
                        try await relist()
                        continue
                    }
                    if events == nil {
                        events = try await watcher.client.watch(
                            T.self, in: watcher.namespace, labelSelector: watcher.labelSelector, resourceVersion: version,
                            timeout: watcher.connectionTimeout
                        ).makeAsyncIterator()
                    }
                    guard let event = try await events?.next() else {
                        // The server closed the watch (its timeout): reconnect at once from `version`.
                        events = nil
                        continue
                    }
                    failures = 0
                    switch event {
                    case .added(let object), .modified(let object):
                        known[key(object)] = object
                        version = object.metadata.resourceVersion ?? version
                        return event
                    case .deleted(let object):
                        known[key(object)] = nil
                        version = object.metadata.resourceVersion ?? version
                        return event
                    case .bookmark(let bookmarked):
                        version = bookmarked
                    case .error(let status):
                        throw KubernetesError.api(
                            status: status.code ?? 500, reason: status.reason ?? "Unknown", message: status.message ?? "")
                    }
                } catch let error as KubernetesError where error.isGone {
                    events = nil
                    listed = false  // what we knew is too old for the server: list again and diff
                } catch let error as KubernetesError where Watcher.isTerminal(error) {
                    finished = true
                    throw error
                } catch {
                    events = nil
                    if Task.isCancelled || error is CancellationError { break }
                    failures += 1
                    do {
                        try await watcher.client.retry.sleep(watcher.client.retry.delay(beforeRetry: failures, retryAfter: nil))
                    } catch {
                        break
                    }
                }
            }
            finished = true
            events = nil
            return nil
        }

        private func key(_ object: T) -> String { "\(object.metadata.namespace ?? "")/\(object.metadata.name ?? "")" }

        /// Lists the objects and queues the difference from what was known as events.
        private mutating func relist() async throws(KubernetesError) {
            let list = try await watcher.client.list(T.self, in: watcher.namespace, labelSelector: watcher.labelSelector)
            var diff: [WatchEvent<T>] = []
            var seen = Set<String>()
            for item in list.items {
                let itemKey = key(item)
                seen.insert(itemKey)
                if let old = known[itemKey] {
                    if old.metadata.resourceVersion != item.metadata.resourceVersion { diff.append(.modified(item)) }
                } else {
                    diff.append(.added(item))
                }
                known[itemKey] = item
            }
            for (itemKey, old) in known where !seen.contains(itemKey) {
                known[itemKey] = nil
                diff.append(.deleted(old))
            }
            pending = diff
            pendingIndex = 0
            listed = true
            version = list.metadata.resourceVersion
        }
    }

    static func isTerminal(_ error: KubernetesError) -> Bool {
        switch error {
        case .unauthorized, .forbidden, .credentials, .configuration, .cancelled: true
        default: false
        }
    }
}
