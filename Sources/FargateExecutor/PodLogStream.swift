import Foundation
import Kubernetes
import Logging
import Scheduler
import Synchronization

/// Follows one container's output into the journal until the container has ended and its output is read.
///
/// The stream is a transfer on the process's one HTTP event loop: it costs no thread. What it knows
/// of the pod comes from the executor's cache (``podState``, ``finished``), never from requests of its own.
/// - A dropped connection is resumed with `sinceTime` (whole seconds, so the lines of that second are
///   replayed by the server and dropped here by their timestamp and text).
/// - A stream the server ends while the container still reads as running is not asked for again at
///   once: a real kubelet closes it when the container exits, about a second before the pod's status
///   says so. It waits for the cache to show the container ended (which ends it), at most 2 s, then
///   4 s, 8 s … 30 s between requests, so a long lag costs a few requests, not a burst. The first wait
///   is longer than the kubelet's usual lag, so that the usual run costs one log request, not two.
/// - A refused request (such as 400 "container is waiting to start: ContainerCreating") is retried
///   with backoff while the pod runs, and ends the stream once the pod has finished or is gone.
/// - A followed stream that stays silent for ``drainTimeout`` after the follower saw the container end
///   is given up, and what is left is read once more without `follow`: a stream the server never closes
///   (or whose connection died silently) cannot hold the pod, and its bill, until the log grace runs out.
struct PodLogStream: Sendable {
    /// What the cache says of the pod when a stream ends or is refused.
    enum PodState: Sendable { case running, finished, gone }

    let client: KubeClient
    let namespace: String
    let pod: String
    /// The container whose output is read; nil lets the API server pick the pod's only container.
    let container: String?
    /// Where each line goes (the journal, through ``JobOutputSink``), with its timestamp.
    let write: @Sendable (_ text: String, _ timestamp: Date?) -> Void
    let logger: Logger
    /// What the cache says of the pod now: whether a stream's end is the container's.
    let podState: @Sendable () -> PodState
    /// Set by the follower as soon as the cache shows the container ended (or the pod finished or gone).
    let finished: PodEndSignal
    /// How long a followed stream may stay silent after the container ended. Somewhat arbitrarily 2 s:
    /// a healthy server ends the stream within moments of the container's end.
    var drainTimeout: Duration = .seconds(2)
    /// The longest wait between requests after the server ended a stream early. Somewhat arbitrarily
    /// 30 s: an early end that is not the container's (an API server restarting) is rare.
    var longestQuietWait: Duration = .seconds(30)

    /// Streams until the output is complete; returns the number of lines written.
    func run() async -> Int {
        var reader = LineReader()
        var failures = 0
        var earlyEnds = 0  // streams the server ended while the container still read as running
        var following = true  // false once a followed stream went silent after the container ended
        var podFinished = false  // known from the cache
        while !Task.isCancelled && !finished.isStopped {
            // A refusal is final only if the pod had already finished when the request went out: one
            // refused while the container was still waiting may succeed once it has run.
            let knewFinished = podFinished || finished.isFinished
            let attempt = await readOnce(follow: following, from: reader)
            reader = attempt.reader
            if attempt.wroteLines {
                failures = 0
                earlyEnds = 0
            }
            switch attempt.ending {
            case .stopped:
                return reader.written
            case .ended:
                if !following || finished.isFinished { return reader.written }
                if podState() != .running { return reader.written }
                // Ended while the cache still says running: most likely the container's end, which
                // the pod's status shows a moment later. Wait for that, not for the next request.
                earlyEnds += 1
                let wait = min(Duration.seconds(2 << min(earlyEnds - 1, 4)), longestQuietWait)
                if await finished.wait(upTo: wait) { return reader.written }
                if Task.isCancelled { return reader.written }
                logger.debug("log stream of pod \(namespace)/\(pod) ended while it still runs: resuming after \(wait)")
                reader.resume()
                continue
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
                        switch podState() {
                        case .gone: return reader.written
                        case .finished:
                            podFinished = true
                            reader.resume()
                            continue  // once more, at once: the container may have run meanwhile
                        case .running: break
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
        /// The follower stopped the stream (its pod was deleted, or the run is over).
        case stopped
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
    /// the container ended. The stream's own task reads it; what ends it early — the follower's
    /// stop, or silence after the container's end — is a ``LogStreamWatchdog`` (callbacks and a
    /// dispatch timer), not a task beside it: a stream holds one task for as long as it is open.
    private func readOnce(follow: Bool, from start: LineReader) async -> Attempt {
        let lastLine = Activity()
        let watchdog = LogStreamWatchdog(finished: finished, lastLine: lastLine, drainTimeout: drainTimeout)
        defer { watchdog.disarm() }
        var reader = start
        let ending: Ending
        do {
            let since = reader.since
            // The opening in a short task of its own (its frames go when it returns), which the
            // watchdog can also cancel: a request whose answer never comes must not hold the pod.
            let opening = Task { [client, namespace, pod, container] () async throws(KubernetesError) -> LogLines in
                try await client.logs(ofPod: pod, in: namespace, container: container, follow: follow, timestamps: true, since: since)
            }
            watchdog.arm(stopping: { opening.cancel() })
            let lines = try await withTaskCancellationHandler {
                try await opening.value
            } onCancel: {
                opening.cancel()
            }
            watchdog.arm(stopping: { lines.stop() })
            for try await line in lines {
                lastLine.touch()
                reader.accept(line, write: write)
            }
            ending = watchdog.ending ?? .ended
        } catch {
            ending = watchdog.ending ?? .failed(error)
        }
        return Attempt(reader: reader, ending: ending, wroteLines: reader.written > start.written)
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

/// What the follower knows of one pod, for its log stream: whether the pod runs, finished or went,
/// and when the followed container was first seen ended.
final class PodEndSignal: Sendable {
    private let end = Latch<ContinuousClock.Instant>()
    private let state = Mutex(PodLogStream.PodState.running)
    private let stopped = Atomic<Bool>(false)

    /// Ends the stream: what is read so far is kept, nothing more is asked for (the pod is gone, or
    /// the run is over). Wakes whatever waits for the container's end.
    func stop() {
        stopped.store(true, ordering: .releasing)
        markFinished()
    }

    var isStopped: Bool { stopped.load(ordering: .acquiring) }

    /// Records the first time the container is seen ended.
    func markFinished() { end.set(.now) }

    /// Records the pod's state as the follower last saw it; a finished or gone pod's container has ended.
    func record(_ podState: PodLogStream.PodState) {
        state.withLock { $0 = podState }
        if podState != .running { markFinished() }
    }

    /// The pod's state as the follower last saw it.
    var podState: PodLogStream.PodState { state.withLock { $0 } }

    var finishedAt: ContinuousClock.Instant? { end.value }
    var isFinished: Bool { finishedAt != nil }

    /// Calls `body` once the container is seen ended (or the stream stopped); at once if it was.
    /// Returns a token for ``forget(_:)``.
    func whenFinished(_ body: @escaping @Sendable () -> Void) -> Int { end.whenSet { _ in body() } }

    /// Drops a ``whenFinished(_:)`` callback that has not been called.
    func forget(_ token: Int) { end.forget(token) }

    /// Waits at most `limit` for the container's end; whether it came.
    func wait(upTo limit: Duration) async -> Bool {
        if isFinished { return true }
        return await end.wait(upTo: limit) != nil || isFinished
    }
}

/// When a stream last delivered a line.
final class Activity: Sendable {
    private let state = Mutex<ContinuousClock.Instant>(.now)
    func touch() { state.withLock { $0 = .now } }
    var last: ContinuousClock.Instant { state.withLock { $0 } }
}
