import Foundation
public import RunModel
public import Scheduler
import Synchronization

/// An executor that starts nothing: it records what it is asked, and the test decides when and how
/// each run ends (`finish`), what a restart finds (`reattachments`), and which starts fail.
public final class FakeExecutor: Executor {
    /// A run the executor was asked to start.
    public struct StartedRun: Hashable, Sendable {
        public var request: RunRequest
        public var handle: RunHandle
    }

    private struct State {
        /// Start calls entered, in order (a held start is entered but not yet started).
        var entered: [RunRequest] = []
        var started: [StartedRun] = []
        var cancelled: [RunHandle] = []
        var cleanedUp: [RunHandle] = []
        var outcomes: [RunHandle: RunOutcome] = [:]
    }

    public let kind: ExecutorKind
    public let runsSurviveShutdown: Bool
    private let state = Observed(State())
    private let waiters = Mutex<[RunHandle: [Int: CheckedContinuation<RunOutcome?, Never>]]>([:])
    private let nextWaiter = Atomic<Int>(0)
    private let setup = Mutex<(reattachments: [RunID: Reattachment], failingJobs: Set<String>, output: [String])>(([:], [], []))
    /// While starts are held (all, or those of some jobs): the start calls waiting for `releaseStarts()`.
    private let gate = Mutex<(isHolding: Bool, heldJobs: Set<String>, waiting: [CheckedContinuation<Void, Never>])>((false, [], []))

    public init(kind: ExecutorKind = .local, runsSurviveShutdown: Bool = true) {
        self.kind = kind
        self.runsSurviveShutdown = runsSurviveShutdown
    }

    /// Every start call entered so far, in order, including those held and not yet returned.
    public var entered: [RunRequest] { state.value.entered }
    /// Every run started so far, in order.
    public var started: [StartedRun] { state.value.started }
    /// The handles of cancelled runs, in order.
    public var cancelled: [RunHandle] { state.value.cancelled }
    /// The slots started so far, in order.
    public var startedSlots: [Slot] { started.map(\.request.slot) }

    /// What `reattach` answers for a run after a restart (default: lost).
    public func setReattachment(_ reattachment: Reattachment, for run: RunID) {
        setup.withLock { $0.reattachments[run] = reattachment }
    }

    /// Makes every start of `job` fail.
    public func failStarts(of job: String) { setup.withLock { _ = $0.failingJobs.insert(job) } }

    /// Lines each run writes to its output when it starts (on stdout).
    public func writeOnStart(_ lines: [String]) { setup.withLock { $0.output = lines } }

    /// Makes every start call wait, once entered, until `releaseStarts()` (as a slow API call would).
    public func holdStarts() { gate.withLock { $0.isHolding = true } }

    /// Makes every start call of `job` wait, once entered, until `releaseStarts()`; other jobs' return.
    public func holdStarts(of job: String) { gate.withLock { _ = $0.heldJobs.insert(job) } }

    /// Lets the held start calls, and every later one, return.
    public func releaseStarts() {
        let waiting = gate.withLock { gate in
            gate.isHolding = false
            gate.heldJobs = []
            defer { gate.waiting = [] }
            return gate.waiting
        }
        for continuation in waiting { continuation.resume() }
    }

    /// Returns the start calls entered once there are at least `count` (held or not).
    @discardableResult
    public func waitForEnteredStarts(_ count: Int) async -> [RunRequest] {
        await state.wait { $0.entered.count >= count }.entered
    }

    /// Returns the runs started once there are at least `count`.
    @discardableResult
    public func waitForStarts(_ count: Int) async -> [StartedRun] {
        await state.wait { $0.started.count >= count }.started
    }

    /// Ends the run started for `slot`.
    public func finish(_ slot: Slot, _ outcome: RunOutcome = .succeeded) {
        guard let handle = started.first(where: { $0.request.slot == slot })?.handle else {
            preconditionFailure("no run was started for \(slot)")
        }
        end(handle, outcome)
    }

    /// Ends a run that a restart adopted (it was never started by this executor).
    public func finishAdopted(_ handle: RunHandle, _ outcome: RunOutcome) { end(handle, outcome) }

    public func start(_ request: RunRequest, output: any OutputSink) async throws(ExecutorError) -> RunHandle {
        let (failing, lines) = setup.withLock { ($0.failingJobs.contains(request.slot.job), $0.output) }
        state.updateIgnoringErrors { $0.entered.append(request) }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let isHeld = gate.withLock { gate in
                let isHeld = gate.isHolding || gate.heldJobs.contains(request.slot.job)
                if isHeld { gate.waiting.append(continuation) }
                return isHeld
            }
            if !isHeld { continuation.resume() }
        }
        if failing { throw ExecutorError("the fake executor was told to fail \(request.slot.job)") }
        let handle = RunHandle(executor: kind, reference: "fake-\(request.run)")
        for line in lines {
            output.write(OutputLine(slot: request.slot, run: request.run, stream: .stdout, bytes: Array(line.utf8)))
        }
        state.updateIgnoringErrors { $0.started.append(StartedRun(request: request, handle: handle)) }
        return handle
    }

    public func outcome(of handle: RunHandle) async -> RunOutcome? {
        let id = nextWaiter.add(1, ordering: .relaxed).newValue
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<RunOutcome?, Never>) in
                let ready: RunOutcome?? = waiters.withLock { waiters in
                    if Task.isCancelled { return .some(nil) }
                    if let outcome = state.value.outcomes[handle] { return .some(outcome) }
                    waiters[handle, default: [:]][id] = continuation
                    return .none
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            let waiter = waiters.withLock { $0[handle]?.removeValue(forKey: id) }
            waiter?.resume(returning: nil)
        }
    }

    public func cancel(_ handle: RunHandle, reason: String) async {
        state.updateIgnoringErrors { $0.cancelled.append(handle) }
        end(handle, .cancelled(reason: reason))
    }

    public func cleanUp(_ handle: RunHandle) async {
        state.updateIgnoringErrors { $0.cleanedUp.append(handle) }
    }

    public func reattach(_ run: RunRecord, job: ScheduledJob?, output: (any OutputSink)?) async -> Reattachment {
        setup.withLock { $0.reattachments[run.id] } ?? .lost(reason: "the fake executor knows nothing of run \(run.id)")
    }

    private func end(_ handle: RunHandle, _ outcome: RunOutcome) {
        let ready = waiters.withLock { waiters in
            state.updateIgnoringErrors { state in
                if state.outcomes[handle] == nil { state.outcomes[handle] = outcome }
            }
            return waiters.removeValue(forKey: handle) ?? [:]
        }
        let outcome = state.value.outcomes[handle]
        for waiter in ready.values { waiter.resume(returning: outcome) }
    }
}
