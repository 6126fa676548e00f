import Foundation
import Kubernetes
import Logging

/// Follows one pod's output into the journal until the container has ended, resuming after a
/// dropped connection with `sinceTime` (whole seconds, so the lines of that second are replayed by the
/// server and dropped here by their timestamp and text).
struct PodLogStream: Sendable {
    let client: KubeClient
    let namespace: String
    let pod: String
    /// Where each line goes (the journal, through ``JobOutputSink``), with its timestamp.
    let write: @Sendable (_ text: String, _ timestamp: Date?) -> Void
    let logger: Logger
    /// Whether the pod has finished (or is gone), asked when a stream ends, to tell an end from a drop.
    let podHasEnded: @Sendable () async -> Bool

    /// Streams until the output is complete; returns the number of lines written.
    func run() async -> Int {
        var written = 0
        var since: Date?
        var recent: Set<String> = []  // "timestamp text" of lines at or after the second `since` names
        var failures = 0
        var replaying = false  // after a reconnect, until the first line not seen before
        while !Task.isCancelled {
            do {
                let lines = try await client.logs(ofPod: pod, in: namespace, follow: true, timestamps: true, since: since)
                for try await line in lines {
                    if let stamp = line.timestamp {
                        let key = "\(stamp.timeIntervalSince1970) \(line.text)"
                        if replaying, recent.contains(key) { continue }
                        replaying = false
                        let second = Date(timeIntervalSince1970: stamp.timeIntervalSince1970.rounded(.down))
                        if second != since {
                            since = second
                            recent = []
                        }
                        recent.insert(key)
                    }
                    write(line.text, line.timestamp)
                    written += 1
                    failures = 0
                }
                if await podHasEnded() { return written }
            } catch let error as KubernetesError where error.isNotFound {
                return written  // the pod is gone: nothing more to read
            } catch {
                if Task.isCancelled { return written }
                failures += 1
                logger.warning("log stream of pod \(namespace)/\(pod) dropped, resuming: \(error)")
            }
            replaying = since != nil
            // Somewhat arbitrarily 100 ms, doubling to 3.2 s: a dropped stream is usually back at once.
            let pause = Duration.milliseconds(100 * (1 << min(failures, 5)))
            do { try await Task.sleep(for: pause) } catch { return written }
        }
        return written
    }
}
