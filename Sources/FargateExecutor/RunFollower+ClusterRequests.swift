import Foundation
import Kubernetes
import Logging
import RunModel
import Scheduler
import Synchronization
import Systemd

/// What the follower asks of the API server itself, beside its log streams: a fresh read of its Job
/// and pods when the cache has gone quiet (``resync(_:)``), the delete of each finished pod whose
/// output is read, and the delete of its Job (a cancel, a pending timeout); and how a pod read
/// afresh or deleted changes what it knows (``see(_:in:)``, ``markDeleted(_:in:)``). Each request
/// runs in a short task of its own (``inShortTask(_:)``): its frames go when it returns.
extension RunFollower {
    /// Reads the Job and its pods afresh: a watch that went silent without the connection failing
    /// (a stall) is only noticed at the transport's idle timeout, and the run must not wait for it.
    @inline(never)
    func resync(_ state: inout State) async {
        do {
            let (client, name, namespace) = (client, name, settings.namespace)
            let found = try await inShortTask { () async throws(KubernetesError) in try await client.find(Job.self, named: name, in: namespace) }
            adopt(found, into: state)
        } catch {
            warnReadFailed(error, listingPods: false)
        }
        await refreshPods(&state)
    }

    @inline(never)
    func refreshPods(_ state: inout State) async {
        do {
            let (client, name, namespace) = (client, name, settings.namespace)
            let listed = try await inShortTask { () async throws(KubernetesError) in
                try await client.list(Pod.self, in: namespace, labelSelector: "job-name=\(name)").items
            }
            take(listed, into: state)
        } catch {
            warnReadFailed(error, listingPods: true)
        }
    }

    /// Takes the pods listed afresh (synchronous, not inlined: the pods stay out of the async frame).
    @inline(never)
    func take(_ listed: [Pod], into state: State) {
        var state = state
        for pod in listed { see(pod.trimmedForCache(), in: &state) }
        // A pod known but no longer listed is gone (deleted with its Job while a watch was silent).
        let present = Set(listed.compactMap(\.metadata.name))
        for pod in state.pods.keys where !present.contains(pod) { markDeleted(pod, in: &state) }
    }

    /// Takes a pod's new state: the timeline, and whether its output's end can be trusted.
    func see(_ pod: Pod, in state: inout State) {
        guard let podName = pod.metadata.name else { return }
        state.pods[podName] = pod
        for (key, signal) in state.ends where key.pod == podName { Self.sync(signal, of: key.container, with: pod) }
        let reading = PodTimeline(pod: pod)
        if state.timelines[podName] == nil { state.timelines[podName] = reading } else { state.timelines[podName]?.update(with: reading) }
        judgePlacement(of: pod, in: &state)
        noteLogsRead(of: podName, in: &state)
    }

    func markDeleted(_ pod: String, in state: inout State) {
        guard !state.deleted.contains(pod) else { return }
        state.deleted.insert(pod)
        if state.timelines[pod]?.deletedAt == nil { state.timelines[pod]?.deletedAt = clock.now() }
        for (key, signal) in state.ends where key.pod == pod {
            signal.record(.gone)
            state.streaming[key]?.stop()
        }
    }

    /// Deletes each finished pod whose output is read (or whose grace ran out) once its TTL passed.
    @inline(never)
    func deleteFinishedPods(_ state: inout State) async {
        for (podName, uid) in podsToDelete(state) {
            if let retry = state.retryAt, retry > clock.now() { return }  // a delete just failed: the rest wait for its retry
            Failpoint.reach("finished")
            do {
                let (client, namespace) = (client, settings.namespace)
                try await inShortTask { () async throws(KubernetesError) in
                    try await client.delete(Pod.self, named: podName, in: namespace, uid: uid)
                }
                Failpoint.reach("pod-deleted")
                warnIfOutputUnread(podName, state)
                markDeleted(podName, in: &state)
            } catch let error where error.isNotFound {
                warnIfOutputUnread(podName, state)
                markDeleted(podName, in: &state)
            } catch {
                retryDeleting(pod: podName, after: error, state)
            }
        }
    }

    /// The finished pods due for deletion now, with their uids: output read (or its grace over) and
    /// TTL passed. Synchronous and not inlined, so that the pods it looks at stay out of the async
    /// frame of ``deleteFinishedPods(_:)``.
    @inline(never)
    func podsToDelete(_ state: State) -> [(name: String, uid: String?)] {
        let now = clock.now()
        guard state.retryAt == nil || state.retryAt! <= now else { return [] }
        var due: [(name: String, uid: String?)] = []
        for (podName, pod) in state.pods where !state.deleted.contains(podName) && pod.status?.isFinished == true {
            let finished = state.timelines[podName]?.finishedAt ?? now
            let read = state.logsDone.contains(podName) || now.timeIntervalSince(finished) >= seconds(logGrace)
            guard read, now.timeIntervalSince(finished) >= seconds(settings.podTTL) || settings.podTTL == .zero else { continue }
            due.append((podName, pod.metadata.uid))
        }
        return due
    }

    /// A pod deleted because its log grace ran out, not because its output was read to the end (a
    /// stream cut again and again, a server that never ends it): lines may be missing, and the run
    /// says so in the journal rather than nothing.
    func warnIfOutputUnread(_ podName: String, _ state: State) {
        guard !state.logsDone.contains(podName) else { return }
        logger.warning(
            "pod \(settings.namespace)/\(podName) is deleted with its output not read to the end (its log stream did not end within the \(Int(seconds(logGrace))) s log grace after the pod finished): lines may be missing; \(linesWritten.load(ordering: .relaxed)) written",
            metadata: [
                JournalField.cronJob: "\(settings.jobName)", JournalField.cronRunID: "\(request.run)",
                JournalField.k8sNamespace: "\(settings.namespace)", JournalField.k8sPod: "\(podName)",
            ])
    }

    /// - Returns: whether the Job is gone; if not, the delete is tried again a second later.
    func deleteJob(_ uid: String?, why: String) async -> Bool {
        do {
            let (client, name, namespace) = (client, name, settings.namespace)
            try await inShortTask { () async throws(KubernetesError) in
                try await client.delete(Job.self, named: name, in: namespace, uid: uid, propagation: .background)
            }
            return true
        } catch let error where error.isNotFound {
            return true
        } catch {
            warnJobDeleteFailed(why: why, error)
            return false
        }
    }
}
