import Synchronization

/// Wakes one loop from anywhere, synchronously: the scheduler's (a trigger, a reload, a run's end, a
/// graceful shutdown) and the ecs executor's task poller (a cancel must reach StopTask without
/// waiting out the interval). A signal sent while no one waits is kept for the next wait.
public final class WakeSignal: Sendable {
    private struct State {
        var isSignalled = false
        var waiter: CheckedContinuation<Void, Never>?
    }
    private let state = Mutex(State())

    /// A signal with none kept.
    public init() {}

    /// Wakes the waiter, or keeps the signal for the next wait.
    public func signal() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.isSignalled = true
            return nil
        }
        waiter?.resume()
    }

    /// Returns at the next signal (or at once if one is kept), or when the task is cancelled.
    public func wait() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.isSignalled || Task.isCancelled {
                        state.isSignalled = false
                        return true
                    }
                    precondition(state.waiter == nil, "one waiter at a time: only the loop waits")
                    state.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }
    }
}
