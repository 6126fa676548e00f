/// A watch that survives: it lists first, then watches from the list's version; when the connection
/// drops or stalls it reconnects, with backoff, from the last version it saw (of an event or a
/// `BOOKMARK`), so the server replays what it kept; on 410 `Expired` it lists again and reports the
/// difference from what it knew as `ADDED`/`MODIFIED`/`DELETED` events, as client-go's informers do.
///
/// Bookmarks are consumed, not delivered. Ends with an error only for a failure retrying cannot mend
/// (401, 403, bad credentials); otherwise runs until the consuming task stops iterating.
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

    public func makeAsyncIterator() -> AsyncThrowingStream<WatchEvent<T>, any Error>.AsyncIterator {
        let (stream, continuation) = AsyncThrowingStream<WatchEvent<T>, any Error>.makeStream()
        let task = Task { await run(into: continuation) }
        continuation.onTermination = { _ in task.cancel() }
        return stream.makeAsyncIterator()
    }

    private func key(_ object: T) -> String { "\(object.metadata.namespace ?? "")/\(object.metadata.name ?? "")" }

    private func run(into continuation: AsyncThrowingStream<WatchEvent<T>, any Error>.Continuation) async {
        var known: [String: T] = [:]
        var version: String?
        var failures = 0
        while !Task.isCancelled {
            do {
                if version == nil {
                    version = try await relist(known: &known, into: continuation)
                }
                let events = try await client.watch(
                    T.self, in: namespace, labelSelector: labelSelector, resourceVersion: version,
                    timeout: connectionTimeout)
                for try await event in events {
                    failures = 0
                    switch event {
                    case .added(let object), .modified(let object):
                        known[key(object)] = object
                        version = object.metadata.resourceVersion ?? version
                        continuation.yield(event)
                    case .deleted(let object):
                        known[key(object)] = nil
                        version = object.metadata.resourceVersion ?? version
                        continuation.yield(event)
                    case .bookmark(let bookmarked):
                        version = bookmarked
                    case .error(let status):
                        throw KubernetesError.api(
                            status: status.code ?? 500, reason: status.reason ?? "Unknown", message: status.message ?? "")
                    }
                }
                // The server closed the watch (its timeout): reconnect at once from `version`.
            } catch let error as KubernetesError where error.isGone {
                version = nil  // what we knew is too old for the server: list again and diff
            } catch let error as KubernetesError where Self.isTerminal(error) {
                continuation.finish(throwing: error)
                return
            } catch {
                if Task.isCancelled || error is CancellationError { break }
                failures += 1
                do {
                    try await client.retry.sleep(client.retry.delay(beforeRetry: failures, retryAfter: nil))
                } catch {
                    break
                }
            }
        }
        continuation.finish()
    }

    private func relist(
        known: inout [String: T], into continuation: AsyncThrowingStream<WatchEvent<T>, any Error>.Continuation
    ) async throws(KubernetesError) -> String? {
        let list = try await client.list(T.self, in: namespace, labelSelector: labelSelector)
        var seen = Set<String>()
        for item in list.items {
            let itemKey = key(item)
            seen.insert(itemKey)
            if let old = known[itemKey] {
                if old.metadata.resourceVersion != item.metadata.resourceVersion { continuation.yield(.modified(item)) }
            } else {
                continuation.yield(.added(item))
            }
            known[itemKey] = item
        }
        for (itemKey, old) in known where !seen.contains(itemKey) {
            known[itemKey] = nil
            continuation.yield(.deleted(old))
        }
        return list.metadata.resourceVersion
    }

    static func isTerminal(_ error: KubernetesError) -> Bool {
        switch error {
        case .unauthorized, .forbidden, .credentials, .configuration, .cancelled: true
        default: false
        }
    }
}
