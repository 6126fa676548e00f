import Dispatch
public import Foundation
import Synchronization

/// A call a ``WallClock`` makes at an instant (``WallClock/call(at:_:)``), unless cancelled first.
public final class ScheduledCall: Sendable {
    private struct State {
        var cancelled = false
        /// What stops the pending wait (a task's cancel, a dispatch timer's).
        var stop: (@Sendable () -> Void)?
    }
    private let state = Mutex(State())

    public init() {}

    /// Makes sure the call does not happen (if it has not yet).
    public func cancel() {
        let stop = state.withLock { state in
            state.cancelled = true
            defer { state.stop = nil }
            return state.stop
        }
        stop?()
    }

    public var isCancelled: Bool { state.withLock { $0.cancelled } }

    /// Sets what stops the pending wait; called at once if the call is already cancelled.
    public func stopping(with stop: @escaping @Sendable () -> Void) {
        let now = state.withLock { state in
            if state.cancelled { return true }
            state.stop = stop
            return false
        }
        if now { stop() }
    }
}

extension WallClock {
    /// The default ``WallClock/call(at:_:)``: a task of its own that sleeps on this clock until
    /// `deadline` (again if woken early), then calls `action`.
    public func callInATask(at deadline: Date, _ action: @escaping @Sendable () -> Void) -> ScheduledCall {
        let call = ScheduledCall()
        let task = Task {
            while now() < deadline {
                do { try await sleep(until: deadline) } catch { return }
            }
            if !call.isCancelled { action() }
        }
        call.stopping { task.cancel() }
        return call
    }

    public func call(at deadline: Date, _ action: @escaping @Sendable () -> Void) -> ScheduledCall {
        callInATask(at: deadline, action)
    }
}

extension SystemWallClock {
    /// A dispatch timer, not a task (a run's follower keeps one armed for every run in flight; a task
    /// and its first slab of async frames cost ~3 KB). No leeway, as for ``sleep(until:)``; at most
    /// ``longestSleep`` at a time, then the time is read again (a clock step is noticed).
    public func call(at deadline: Date, _ action: @escaping @Sendable () -> Void) -> ScheduledCall {
        let call = ScheduledCall()
        arm(call, at: deadline, action)
        return call
    }

    private func arm(_ call: ScheduledCall, at deadline: Date, _ action: @escaping @Sendable () -> Void) {
        let remaining = max(0, min(deadline.timeIntervalSince(now()), longestSleep.timeInterval))
        let timer = DispatchSource.makeTimerSource(queue: .global())
        timer.schedule(deadline: .now() + .nanoseconds(Int(remaining * 1e9)), leeway: .nanoseconds(0))
        timer.setEventHandler { [self] in
            timer.cancel()
            if call.isCancelled { return }
            if now() < deadline { arm(call, at: deadline, action) } else { action() }
        }
        let source = TimerSource(timer: timer)
        call.stopping { source.timer.cancel() }
        timer.resume()
    }
}

/// A dispatch timer handed to a `@Sendable` closure: libdispatch's sources may be cancelled from any
/// thread (the overlay does not mark them `Sendable`).
private struct TimerSource: @unchecked Sendable {
    let timer: any DispatchSourceTimer
}
