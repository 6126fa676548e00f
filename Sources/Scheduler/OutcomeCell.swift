import Synchronization

/// A run's outcome, set once by the thread that sees the run end, awaited by the scheduler.
final class OutcomeCell: Sendable {
    private struct State {
        var outcome: RunOutcome?
        var waiters: [Int: CheckedContinuation<RunOutcome?, Never>] = [:]
        var nextID = 0
        var cancelledEarly: Set<Int> = []
    }
    private let state = Mutex(State())

    var outcome: RunOutcome? { state.withLock { $0.outcome } }

    /// Sets the outcome (the first one wins) and wakes every waiter.
    func set(_ outcome: RunOutcome) {
        let waiters = state.withLock { state -> [CheckedContinuation<RunOutcome?, Never>] in
            guard state.outcome == nil else { return [] }
            state.outcome = outcome
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume(returning: outcome) }
    }

    /// The outcome once set, or `nil` if the waiting task is cancelled first.
    func wait() async -> RunOutcome? {
        let id = state.withLock { state in
            defer { state.nextID += 1 }
            return state.nextID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<RunOutcome?, Never>) in
                let ready: RunOutcome?? = state.withLock { state in
                    if let outcome = state.outcome { return .some(outcome) }
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
                    return CheckedContinuation<RunOutcome?, Never>?.none
                }
                return waiter
            }
            waiter?.resume(returning: nil)
        }
    }
}
