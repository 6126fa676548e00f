import Foundation
import Kubernetes
import Synchronization

/// The Events about the Jobs of each namespace, listed once for every run that asks within
/// ``maxAge`` (and once for all who ask while a list is on its way).
///
/// A Job without a pod a moment after its creation is suspect, and only Events say why (the Job
/// controller's `FailedCreate`: a quota, Pod Security, a missing service account). In a herd,
/// hundreds of Jobs wait for their pods at once while the Job controller catches up (its API rate
/// limit is 20 requests a second by default): one Events list a run, every few seconds, made a
/// 500-job herd send 200–400 lists in its busiest seconds, each one a scan of the namespace's Events
/// for the API server. One list a namespace serves them all.
final class JobEvents: Sendable {
    let client: KubeClient
    /// How old a list may be and still answer.
    let maxAge: Duration

    private enum Reading {
        case read([Event])
        case waiting(Task<Result<[Event], KubernetesError>, Never>)
    }

    private struct Entry {
        var events: [Event] = []
        var readAt: ContinuousClock.Instant?
        var reading: Task<Result<[Event], KubernetesError>, Never>?
    }

    private let entries = Mutex<[String: Entry]>([:])

    init(client: KubeClient, maxAge: Duration) {
        self.client = client
        self.maxAge = maxAge
    }

    /// The Events about Job `name` in `namespace`, oldest first.
    func events(about name: String, in namespace: String) async throws(KubernetesError) -> [Event] {
        try await events(in: namespace).filter { $0.involvedObject.name == name }
    }

    /// Every Event about a Job in `namespace`, oldest first: the last list if it is recent enough,
    /// else the list under way, else a new one.
    func events(in namespace: String) async throws(KubernetesError) -> [Event] {
        let reading: Reading = entries.withLock { entries in
            var entry = entries[namespace, default: Entry()]
            if let at = entry.readAt, ContinuousClock.now - at < maxAge { return .read(entry.events) }
            if let task = entry.reading { return .waiting(task) }
            let begun = ContinuousClock.now
            let task = Task { [client, self] in
                let result: Result<[Event], KubernetesError>
                do throws(KubernetesError) {
                    let listed = try await client.list(Event.self, in: namespace, fieldSelector: "involvedObject.kind=Job").items
                    result = .success(listed.sorted { ($0.lastTimestamp ?? .distantPast) < ($1.lastTimestamp ?? .distantPast) })
                } catch {
                    result = .failure(error)
                }
                store(result, for: namespace, readAt: begun)
                return result
            }
            entry.reading = task
            entries[namespace] = entry
            return .waiting(task)
        }
        switch reading {
        case .read(let events): return events
        case .waiting(let task): return try await task.value.get()
        }
    }

    /// Keeps a list's Events (counted from when the list began); a failed list keeps nothing, so that
    /// the next run to ask lists again.
    private func store(_ result: Result<[Event], KubernetesError>, for namespace: String, readAt: ContinuousClock.Instant) {
        entries.withLock { entries in
            var entry = entries[namespace, default: Entry()]
            entry.reading = nil
            if case .success(let events) = result {
                entry.events = events
                entry.readAt = readAt
            }
            entries[namespace] = entry
        }
    }
}
