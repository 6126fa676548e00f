import Synchronization

/// A value that tests can await a condition on: each change re-checks the waiting conditions.
final class Observed<Value: Sendable>: Sendable {
    private struct Waiter {
        var isSatisfied: @Sendable (Value) -> Bool
        var continuation: CheckedContinuation<Value, Never>
    }
    private struct State {
        var value: Value
        var waiters: [Waiter] = []
    }
    private let state: Mutex<State>

    init(_ value: Value) { state = Mutex(State(value: value)) }

    var value: Value { state.withLock { $0.value } }

    /// Changes the value and wakes the waiters whose condition now holds.
    @discardableResult
    func update<Result>(_ change: (inout Value) throws(RunStoreErrorBox) -> Result) throws(RunStoreErrorBox) -> Result {
        let (result, ready) = try state.withLock { state throws(RunStoreErrorBox) in
            let result = try change(&state.value)
            var ready: [(CheckedContinuation<Value, Never>, Value)] = []
            state.waiters.removeAll { waiter in
                guard waiter.isSatisfied(state.value) else { return false }
                ready.append((waiter.continuation, state.value))
                return true
            }
            return (result, ready)
        }
        for (continuation, value) in ready { continuation.resume(returning: value) }
        return result
    }

    /// Returns the value once `condition` holds.
    func wait(until condition: @escaping @Sendable (Value) -> Bool) async -> Value {
        await withCheckedContinuation { continuation in
            let now: Value? = state.withLock { state in
                if condition(state.value) { return state.value }
                state.waiters.append(Waiter(isSatisfied: condition, continuation: continuation))
                return nil
            }
            if let now { continuation.resume(returning: now) }
        }
    }
}

import Scheduler

/// Carries a `RunStoreError` through `Observed.update` (typed throws need one concrete type).
struct RunStoreErrorBox: Error {
    var error: RunStoreError
}
