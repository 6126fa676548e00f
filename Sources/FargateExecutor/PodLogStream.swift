import Foundation
import Kubernetes
import Logging
import Synchronization

/// Follows one pod's output into the journal until the container has ended and its output is read.
///
/// - A dropped connection is resumed with `sinceTime` (whole seconds, so the lines of that second are
///   replayed by the server and dropped here by their timestamp and text).
/// - A refused request (such as 400 "container is waiting to start: ContainerCreating") is retried
///   with backoff while the pod runs, and ends the stream once the pod has finished or is gone.
/// - A followed stream that stays silent for ``drainTimeout`` after the follower saw the pod finish is
///   given up, and what is left is read once more without `follow`: a stream the server never closes
///   (or whose connection died silently) cannot hold the pod, and its bill, until the log grace runs out.
struct PodLogStream: Sendable {
    /// What the API says of the pod when a stream ends or is refused.
    enum PodState: Sendable { case running, finished, gone, unknown }

    let client: KubeClient
    let namespace: String
    let pod: String
    /// The container whose output is read; nil lets the API server pick the pod's only container.
    let container: String?
    /// Where each line goes (the journal, through ``JobOutputSink``), with its timestamp.
    let write: @Sendable (_ text: String, _ timestamp: Date?) -> Void
    let logger: Logger
    /// Asks the API whether the pod has finished, to tell an end from a drop.
    let podState: @Sendable () async -> PodState
    /// Set by the follower as soon as its watch shows the pod finished.
    let finished: PodEndSignal
    /// How long a followed stream may stay silent after the pod finished. Somewhat arbitrarily 2 s: a
    /// healthy server ends the stream within moments of the container's end.
    var drainTimeout: Duration = .seconds(2)

    /// Streams until the output is complete; returns the number of lines written.
    func run() async -> Int {
        var reader = LineReader()
        var failures = 0
        var following = true  // false once a followed stream went silent after the pod finished
        var podFinished = false  // known from the follower's watch or the API
        while !Task.isCancelled {
            // A refusal is final only if the pod had already finished when the request went out: one
            // refused while the container was still waiting may succeed once it has run.
            let knewFinished = podFinished || finished.isFinished
            let attempt = await readOnce(follow: following, from: reader)
            reader = attempt.reader
            if attempt.wroteLines { failures = 0 }
            switch attempt.ending {
            case .ended:
                if !following || finished.isFinished { return reader.written }
                switch await podState() {
                case .finished, .gone: return reader.written
                case .running, .unknown: break  // the server ended the stream early: resume
                }
            case .silentAfterFinish:
                logger.notice("log stream of pod \(namespace)/\(pod) silent \(drainTimeout) after the pod finished: reading the rest")
                following = false
                reader.resume()
                continue
            case .failed(let error):
                if Task.isCancelled { return reader.written }
                if let error = error as? KubernetesError {
                    if error.isNotFound { return reader.written }  // the pod is gone: nothing more to read
                    if case .api(let status, _, _) = error, (400..<500).contains(status), status != 429 {
                        // Refused, as for a container still waiting to start; if the pod had finished
                        // before we asked, its container never ran and there is nothing to read.
                        if knewFinished { return reader.written }
                        switch await podState() {
                        case .gone: return reader.written
                        case .finished:
                            podFinished = true
                            reader.resume()
                            continue  // once more, at once: the container may have run meanwhile
                        case .running, .unknown: break
                        }
                    }
                }
                failures += 1
                logger.warning("log stream of pod \(namespace)/\(pod) failed, resuming: \(error)")
            }
            reader.resume()
            // Somewhat arbitrarily 100 ms, doubling to 3.2 s: a dropped stream is usually back at once.
            let pause = Duration.milliseconds(100 * (1 << min(failures, 5)))
            do { try await Task.sleep(for: pause) } catch { return reader.written }
        }
        return reader.written
    }

    enum Ending: Sendable {
        case ended
        case silentAfterFinish
        case failed(any Error)
    }

    struct Attempt: Sendable {
        var reader: LineReader
        var ending: Ending
        var wroteLines: Bool
    }

    /// One request: its lines, until the server ends it, it fails, or it stays silent too long after
    /// the pod finished (a watchdog beside the reading task).
    private func readOnce(follow: Bool, from start: LineReader) async -> Attempt {
        let lastLine = Activity()
        return await withTaskGroup(of: Attempt?.self) { group in
            group.addTask { [client, namespace, pod, write] in
                var reader = start
                do {
                    let lines = try await client.logs(ofPod: pod, in: namespace, container: container, follow: follow,
                                                      timestamps: true, since: reader.since)
                    for try await line in lines {
                        lastLine.touch()
                        reader.accept(line, write: write)
                    }
                    return Attempt(reader: reader, ending: .ended, wroteLines: reader.written > start.written)
                } catch {
                    return Attempt(reader: reader, ending: .failed(error), wroteLines: reader.written > start.written)
                }
            }
            group.addTask { [finished, drainTimeout] in
                while !Task.isCancelled {
                    do { try await Task.sleep(for: .milliseconds(200)) } catch { return nil }
                    guard let end = finished.finishedAt else { continue }
                    if ContinuousClock.now - max(end, lastLine.last) >= drainTimeout {
                        return Attempt(reader: start, ending: .silentAfterFinish, wroteLines: false)
                    }
                }
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            if let first, case .silentAfterFinish = first.ending {
                // The reader stops at its cancellation; keep what it read before.
                while let result = await group.next() {
                    if let read = result { return Attempt(reader: read.reader, ending: .silentAfterFinish, wroteLines: read.wroteLines) }
                }
                return first
            }
            if let first { return first }
            // The watchdog stopped first (the stream's task is cancelled): the reader's count still holds.
            while let result = await group.next() {
                if let read = result { return read }
            }
            return Attempt(reader: start, ending: .ended, wroteLines: false)
        }
    }
}

/// Drops the lines a resumed stream replays, and counts the ones written.
struct LineReader: Sendable {
    private(set) var written = 0
    /// The whole second of the last line: where a resumed stream starts (`sinceTime`).
    private(set) var since: Date?
    private var recent: Set<String> = []  // "timestamp text" of the lines at or after `since`
    private var replaying = false  // after a reconnect, until the first line not seen before

    mutating func accept(_ line: LogLine, write: (String, Date?) -> Void) {
        if let stamp = line.timestamp {
            let key = "\(stamp.timeIntervalSince1970) \(line.text)"
            if replaying, recent.contains(key) { return }
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
    }

    /// The next request replays the lines of the second `since` names.
    mutating func resume() { replaying = since != nil }
}

/// When the follower saw the pod finished (or gone), for its log stream's watchdog.
final class PodEndSignal: Sendable {
    private let state = Mutex<ContinuousClock.Instant?>(nil)

    /// Records the first time the pod is seen finished.
    func markFinished() { state.withLock { if $0 == nil { $0 = .now } } }

    var finishedAt: ContinuousClock.Instant? { state.withLock { $0 } }
    var isFinished: Bool { finishedAt != nil }
}

/// When a stream last delivered a line.
final class Activity: Sendable {
    private let state = Mutex<ContinuousClock.Instant>(.now)
    func touch() { state.withLock { $0 = .now } }
    var last: ContinuousClock.Instant { state.withLock { $0 } }
}
