/// A change to an informer's cache, as its subscribers see it.
public enum InformerEvent<T: KubernetesResource>: Sendable {
    /// An object appeared (or was there when the subscriber subscribed).
    case added(T)
    /// An object changed; `old` is what the cache held before.
    case updated(old: T, new: T)
    /// An object went; this is its last state.
    case deleted(T)

    /// The object the event is about (the new state for an update).
    public var object: T {
        switch self {
        case .added(let object), .deleted(let object), .updated(_, let object): object
        }
    }
}

/// The pure core of an ``Informer``: the cache of one list-then-watch, its resource version, an
/// optional index, and the events each list and watch event turn into. No I/O: the informer's loop
/// feeds it.
struct InformerState<T: KubernetesResource> {
    /// The objects by `namespace/name`.
    private(set) var objects: [String: T] = [:]
    /// The version to watch from: the last list's, event's or bookmark's.
    private(set) var resourceVersion: String?
    /// Whether a list has filled the cache at least once.
    private(set) var hasSynced = false
    /// What an object is indexed under (client-go's one indexer), if anything.
    let indexKey: (@Sendable (T) -> String?)?
    /// The keys (`namespace/name`) of the objects under each index value.
    private(set) var index: [String: Set<String>] = [:]

    init(indexKey: (@Sendable (T) -> String?)? = nil) { self.indexKey = indexKey }

    static func key(namespace: String?, name: String?) -> String { "\(namespace ?? "")/\(name ?? "")" }

    static func key(of object: T) -> String {
        key(namespace: object.metadata.namespace, name: object.metadata.name)
    }

    /// The objects indexed under `value`, ordered by namespace and name.
    func objects(indexedAs value: String) -> [T] {
        (index[value] ?? []).sorted().compactMap { objects[$0] }
    }

    /// Replaces the cache with a list's items (the first list, or a relist after 410 Gone) and
    /// returns the difference from what the cache held, so a relist tells subscribers only what
    /// changed meanwhile. Objects whose resourceVersion is unchanged produce no event.
    mutating func replace(with items: [T], resourceVersion: String?) -> [InformerEvent<T>] {
        var changes: [InformerEvent<T>] = []
        var listed: [String: T] = [:]
        for item in items {
            let key = Self.key(of: item)
            listed[key] = item
            if let old = objects[key] {
                if old.metadata.resourceVersion != item.metadata.resourceVersion {
                    changes.append(.updated(old: old, new: item))
                }
            } else {
                changes.append(.added(item))
            }
        }
        // Sorted, so that a relist's deletions come in a stable order.
        for key in objects.keys.sorted() where listed[key] == nil {
            changes.append(.deleted(objects[key]!))
        }
        objects = listed
        if let indexKey {
            index = [:]
            for (key, object) in listed {
                if let value = indexKey(object) { index[value, default: []].insert(key) }
            }
        }
        self.resourceVersion = resourceVersion
        hasSynced = true
        return changes
    }

    /// Applies one watch event.
    /// - Throws: ``KubernetesError/api(status:reason:message:)`` for an `ERROR` event (410 `Expired`
    ///   means: list again).
    mutating func apply(_ event: WatchEvent<T>) throws(KubernetesError) -> [InformerEvent<T>] {
        switch event {
        case .added(let object), .modified(let object):
            let key = Self.key(of: object)
            let old = objects.updateValue(object, forKey: key)
            reindex(key, from: old, to: object)
            advance(to: object)
            return [old.map { .updated(old: $0, new: object) } ?? .added(object)]
        case .deleted(let object):
            let key = Self.key(of: object)
            advance(to: object)
            // A delete of something the cache never held (created and deleted between a list and
            // its watch) still moves the version on, and tells nobody.
            guard let old = objects.removeValue(forKey: key) else { return [] }
            reindex(key, from: old, to: nil)
            return [.deleted(object)]
        case .bookmark(let version):
            resourceVersion = version
            return []
        case .error(let status):
            throw .api(status: status.code ?? 500, reason: status.reason ?? "Unknown", message: status.message ?? "")
        }
    }

    private mutating func reindex(_ key: String, from old: T?, to new: T?) {
        guard let indexKey else { return }
        let before = old.flatMap(indexKey), after = new.flatMap(indexKey)
        guard before != after else { return }
        if let before {
            index[before]?.remove(key)
            if index[before]?.isEmpty == true { index[before] = nil }
        }
        if let after { index[after, default: []].insert(key) }
    }

    private mutating func advance(to object: T) {
        if let version = object.metadata.resourceVersion { resourceVersion = version }
    }
}
