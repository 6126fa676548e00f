import Synchronization

/// A value set once and awaited by any number of tasks (a run's outcome, its report); a waiting task that is cancelled gets `nil`.
public final class Latch<Value: Sendable>: Sendable {
    private struct State {
        var value: Value?
        var waiters: [Int: CheckedContinuation<Value?, Never>] = [:]
        var nextID = 0
        var cancelledEarly: Set<Int> = []
    }
    private let state = Mutex(State())

    /// An unset latch.
    public init() {}

    /// The value, if it was set.
    public var value: Value? { state.withLock { $0.value } }

    /// Sets the value; the first one wins.
    public func set(_ value: Value) {
        let waiters = state.withLock { state -> [CheckedContinuation<Value?, Never>] in
            guard state.value == nil else { return [] }
            state.value = value
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume(returning: value) }
    }

    /// The value once set, or `nil` if the waiting task is cancelled first.
    public func wait() async -> Value? {
        let id = state.withLock { state in
            defer { state.nextID += 1 }
            return state.nextID
        }
        return await withTaskCancellationHandler {
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
            let waiter = state.withLock { state in
                guard let waiter = state.waiters.removeValue(forKey: id) else {
                    state.cancelledEarly.insert(id)
                    return CheckedContinuation<Value?, Never>?.none
                }
                return waiter
            }
            waiter?.resume(returning: nil)
        }
    }
}
