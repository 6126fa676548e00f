import Foundation
import Synchronization
public import Scheduler

/// Everything the executor learnt about one run, handed to ``KubernetesExecutor``'s `onReport` once the
/// run ended and its pods were deleted: what the ledger's run row and `history` show beyond the outcome.
public struct RunReport: Hashable, Sendable {
    /// The slot.
    public var slot: Slot
    /// The run store's id.
    public var run: RunID
    /// The Job's namespace and name.
    public var namespace: String
    public var jobName: String
    /// The Job's uid.
    public var jobUID: String?
    /// Each pod the run had, in creation order (more than one when the Job retried).
    public var pods: [PodTimeline]
    /// The verdict (carries the failure kind: the job's own or the platform's).
    public var verdict: RunVerdict
    /// The bill of each pod that was deleted and whose size is known.
    public var costs: [FargateCost]
    /// How many output lines reached the journal.
    public var linesWritten: Int
}

/// A value set once and awaited by any number of tasks; a waiting task that is cancelled gets `nil`.
final class Latch<Value: Sendable>: Sendable {
    private struct State {
        var value: Value?
        var waiters: [Int: CheckedContinuation<Value?, Never>] = [:]
        var nextID = 0
        var cancelledEarly: Set<Int> = []
    }
    private let state = Mutex(State())

    var value: Value? { state.withLock { $0.value } }

    /// Sets the value; the first one wins.
    func set(_ value: Value) {
        let waiters = state.withLock { state -> [CheckedContinuation<Value?, Never>] in
            guard state.value == nil else { return [] }
            state.value = value
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume(returning: value) }
    }

    /// The value once set, or `nil` if the waiting task is cancelled first.
    func wait() async -> Value? {
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
