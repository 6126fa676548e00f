import Dispatch
import Synchronization

/// Ends one log request of a ``PodLogStream`` from outside the task that reads it, with no task of
/// its own: once its ``PodEndSignal`` says the container ended (or the stream was stopped), it stops
/// the request at once if the follower stopped the stream, or once no line has come for
/// `drainTimeout` since the end (a dispatch timer re-checks the silence until then).
///
/// A thousand streams open at once cost a thousand of these, not a thousand watchdog tasks with
/// their frames (BENCHMARKS.md, "Memory of runs in flight").
final class LogStreamWatchdog: Sendable {
    private struct State {
        /// How the watchdog ended the request, once it did.
        var ending: PodLogStream.Ending?
        /// Ends the request as it stands (its opening, then its lines).
        var stop: (@Sendable () -> Void)?
        var callback: Int?
        /// Which re-check is the current one: a replaced or disarmed one finds it changed and does nothing.
        var recheck = 0
        var disarmed = false
    }

    private let state = Mutex(State())
    private let finished: PodEndSignal
    private let lastLine: Activity
    private let drainTimeout: Duration

    init(finished: PodEndSignal, lastLine: Activity, drainTimeout: Duration) {
        self.finished = finished
        self.lastLine = lastLine
        self.drainTimeout = drainTimeout
    }

    /// How the watchdog ended the request, if it did: ``PodLogStream/Ending/stopped`` or
    /// ``PodLogStream/Ending/silentAfterFinish``.
    var ending: PodLogStream.Ending? { state.withLock { $0.ending } }

    /// From now on, ends the request with `stop` when its time comes (replacing an earlier `stop`:
    /// the opening's, once the request is open). If its time has come already, at once.
    func arm(stopping stop: @escaping @Sendable () -> Void) {
        let (firstArming, alreadyEnded) = state.withLock { state in
            guard !state.disarmed else { return (false, false) }
            state.stop = stop
            return (state.callback == nil, state.ending != nil)
        }
        if alreadyEnded { stop() }
        guard firstArming else { return }
        let token = finished.whenFinished { [self] in check() }
        let forgetNow = state.withLock { state in
            if state.disarmed { return true }
            state.callback = token
            return false
        }
        if forgetNow { finished.forget(token) }
    }

    /// The request has ended: nothing more is stopped, the timer and the callback go.
    func disarm() {
        let callback = state.withLock { state in
            state.disarmed = true
            state.stop = nil
            state.recheck += 1
            defer { state.callback = nil }
            return state.callback
        }
        if let callback { finished.forget(callback) }
    }

    /// After the container's end: stops the request if the stream was stopped or has been silent for
    /// `drainTimeout` since the end (or its last line); otherwise looks again when it would have been.
    private func check(generation: Int? = nil) {
        guard let end = finished.finishedAt else { return }
        let stopped = finished.isStopped
        let quietSince = max(end, lastLine.last)
        let now = ContinuousClock.now
        let decision: (stop: (@Sendable () -> Void)?, recheckAt: ContinuousClock.Instant?) = state.withLock { state in
            guard !state.disarmed, state.ending == nil, generation == nil || generation == state.recheck else { return (nil, nil) }
            if stopped {
                state.ending = .stopped
                return (state.stop, nil)
            }
            if now - quietSince >= drainTimeout {
                state.ending = .silentAfterFinish
                return (state.stop, nil)
            }
            return (nil, quietSince + drainTimeout)
        }
        decision.stop?()
        if let instant = decision.recheckAt { recheck(at: instant) }
    }

    private func recheck(at instant: ContinuousClock.Instant) {
        let current = state.withLock { state -> Int? in
            guard !state.disarmed else { return nil }
            state.recheck += 1
            return state.recheck
        }
        guard let current else { return }
        let nanoseconds = max(0, Int((instant - .now) / .nanoseconds(1)))
        DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(nanoseconds)) { [self] in check(generation: current) }
    }
}
