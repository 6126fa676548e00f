import Dispatch
import Synchronization

/// A value set once and awaited by any number of tasks (a run's outcome, its report); a waiting task that is cancelled gets `nil`.
public final class Latch<Value: Sendable>: Sendable {
    private struct State {
        var value: Value?
        var waiters: [Int: CheckedContinuation<Value?, Never>] = [:]
        var nextID = 0
        var cancelledEarly: Set<Int> = []
        var callbacks: [Int: @Sendable (Value) -> Void] = [:]
    }
    private let state = Mutex(State())

    /// An unset latch.
    public init() {}

    /// The value, if it was set.
    public var value: Value? { state.withLock { $0.value } }

    /// Sets the value; the first one wins.
    public func set(_ value: Value) {
        let (waiters, callbacks) = state.withLock { state -> ([CheckedContinuation<Value?, Never>], [@Sendable (Value) -> Void]) in
            guard state.value == nil else { return ([], []) }
            state.value = value
            defer {
                state.waiters = [:]
                state.callbacks = [:]
            }
            return (Array(state.waiters.values), Array(state.callbacks.values))
        }
        for waiter in waiters { waiter.resume(returning: value) }
        for callback in callbacks { callback(value) }
    }

    /// Calls `body` with the value once it is set, on the thread that sets it (at once, on this one,
    /// if it is set already): for what must not cost a waiting task. Returns a token for
    /// ``forget(_:)``.
    @discardableResult
    public func whenSet(_ body: @escaping @Sendable (Value) -> Void) -> Int {
        let id = newID()
        let value = state.withLock { state -> Value? in
            if let value = state.value { return value }
            state.callbacks[id] = body
            return nil
        }
        if let value { body(value) }
        return id
    }

    /// Drops a ``whenSet(_:)`` callback that has not been called.
    public func forget(_ token: Int) {
        state.withLock { _ = $0.callbacks.removeValue(forKey: token) }
    }

    /// The value once set, or `nil` if the waiting task is cancelled first.
    public func wait() async -> Value? {
        await wait(id: newID())
    }

    /// The value once set, or `nil` if `limit` passes or the waiting task is cancelled first.
    ///
    /// No task of its own: a dispatch timer ends the wait. (A task racing a sleep in a group costs
    /// two tasks and their memory, and a run's log stream waits so for its pod's end in every run.)
    public func wait(upTo limit: Duration) async -> Value? {
        let id = newID()
        let expiry = DispatchWorkItem { [self] in abandon(id) }
        let nanoseconds = Int(max(0, min(limit / .nanoseconds(1), Double(Int.max / 2))))
        DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(nanoseconds), execute: expiry)
        let value = await wait(id: id)
        expiry.cancel()
        // An expiry that ran after a cancellation ended the wait left the id behind (8 bytes; one
        // running at this very moment still can).
        state.withLock { _ = $0.cancelledEarly.remove(id) }
        return value
    }

    private func newID() -> Int {
        state.withLock { state in
            defer { state.nextID += 1 }
            return state.nextID
        }
    }

    /// Ends waiter `id`'s wait with `nil` (cancelled, or its time is up), or makes it end at once
    /// if it has not begun waiting; nothing once the value is set.
    private func abandon(_ id: Int) {
        let waiter = state.withLock { state in
            guard let waiter = state.waiters.removeValue(forKey: id) else {
                if state.value == nil { state.cancelledEarly.insert(id) }
                return CheckedContinuation<Value?, Never>?.none
            }
            return waiter
        }
        waiter?.resume(returning: nil)
    }

    private func wait(id: Int) async -> Value? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Value?, Never>) in
                let ready: Value?? = state.withLock { state in
                    if let value = state.value { return .some(value) }
                    if state.cancelledEarly.remove(id) != nil { return .some(nil) }
                    state.waiters[id] = continuation
                    return .none
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            abandon(id)
        }
    }
}
