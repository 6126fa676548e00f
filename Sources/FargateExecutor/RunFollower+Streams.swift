import Foundation
import Kubernetes
import Scheduler
import Synchronization

/// Every container's output: a stream per container that has started (init containers, native and
/// ordinary sidecars too), each with its `K8S_CONTAINER`; a finished pod's output is read once the
/// stream of each container it started has ended.
extension RunFollower {
    /// The containers of a pod that have started (init containers first, as they run first): each
    /// has output of its own, read by a stream of its own (a pod of several containers answers 400
    /// to a log request that names none). A container still waiting has none yet, nor one the kubelet
    /// reports ended without ever starting (`ContainerStatusUnknown`, no `startedAt`: its pod was
    /// deleted while it waited for its image).
    static func startedContainers(of pod: Pod) -> [String] {
        ((pod.status?.initContainerStatuses ?? []) + (pod.status?.containerStatuses ?? []))
            .filter { $0.state?.running != nil || $0.state?.terminated?.startedAt != nil }.map(\.name)
    }

    /// Tells a container's stream what the cache shows: the pod finished, or the container ended (its
    /// stream's end is final then, even while a sidecar keeps the pod running).
    static func sync(_ signal: PodEndSignal, of container: String, with pod: Pod) {
        if pod.status?.isFinished == true { signal.record(.finished) }
        let statuses = (pod.status?.initContainerStatuses ?? []) + (pod.status?.containerStatuses ?? [])
        if statuses.first(where: { $0.name == container })?.state?.terminated != nil { signal.markFinished() }
    }

    /// Marks a finished pod's output read once the stream of every container it started has ended.
    func noteLogsRead(of podName: String, in state: inout State) {
        guard !state.logsDone.contains(podName), let pod = state.pods[podName], pod.status?.isFinished == true else { return }
        let started = Self.startedContainers(of: pod).map { StreamKey(pod: podName, container: $0) }
        guard started.allSatisfy({ state.streamsEnded.contains($0) }) else { return }
        state.logsDone.insert(podName)
        state.timelines[podName]?.logsEndedAt = clock.now()
    }

    /// Starts following the output of every container that has started (init containers and
    /// sidecars too), each stream a child task of the run's group that ends with the container's
    /// output, or when its signal is stopped (the pod deleted, the run over).
    func startStreams(_ state: inout State, in group: inout DiscardingTaskGroup) {
        for (podName, pod) in state.pods where !state.deleted.contains(podName) {
            for container in Self.startedContainers(of: pod) {
                let key = StreamKey(pod: podName, container: container)
                guard state.streaming[key] == nil else { continue }
                if !state.streaming.keys.contains(where: { $0.pod == podName }) { Failpoint.reach("running") }
                startStream(key, of: pod, in: &state, group: &group)
            }
        }
    }

    func startStream(_ key: StreamKey, of pod: Pod, in state: inout State, group: inout DiscardingTaskGroup) {
        let signal = PodEndSignal()
        Self.sync(signal, of: key.container, with: pod)
        state.ends[key] = signal
        let stream = PodLogStream(
            client: client, namespace: settings.namespace, pod: key.pod, container: key.container,
            write: { [self] text, stamp in
                linesWritten.add(1, ordering: .relaxed)
                write(key.pod, key.container, text, stamp)
            }, logger: logger,
            podState: { signal.podState }, finished: signal)
        state.streaming[key] = signal
        // One task for the stream, which reads its requests itself: a stop is its signal's, and what
        // ends a request early is its LogStreamWatchdog (callbacks and a dispatch timer), not tasks
        // racing it. Each task holds its own memory for as long as the stream is open; one a stream
        // where there were five.
        group.addTask { [continuation] in
            let lines = await stream.run()
            continuation.yield(.logsEnded(key, lines: lines))
        }
    }
}
