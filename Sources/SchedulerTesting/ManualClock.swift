public import Foundation
public import Scheduler
import Synchronization

/// A wall clock that moves only when told to, for tests. Every move wakes every sleeper (the
/// `WallClock` contract lets a sleep end early), and the scheduler re-reads the time.
public final class ManualClock: WallClock {
    private struct State {
        var now: Date
        var nextID = 0
        var sleepers: [Int: CheckedContinuation<Void, any Error>] = [:]
        var cancelledBeforeSleeping: Set<Int> = []
    }
    private let state: Mutex<State>

    /// A clock that reads `start` until it is moved.
    public init(_ start: Date) { state = Mutex(State(now: start)) }

    public func now() -> Date { state.withLock { $0.now } }

    public func sleep(until deadline: Date) async throws {
        let id = state.withLock { state in
            defer { state.nextID += 1 }
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome: Result<Void, CancellationError>? = state.withLock { state in
                    if state.cancelledBeforeSleeping.remove(id) != nil { return .failure(CancellationError()) }
                    if deadline <= state.now { return .success(()) }
                    state.sleepers[id] = continuation
                    return nil
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            let sleeper = state.withLock { state in
                guard let sleeper = state.sleepers.removeValue(forKey: id) else {
                    state.cancelledBeforeSleeping.insert(id)
                    return CheckedContinuation<Void, any Error>?.none
                }
                return sleeper
            }
            sleeper?.resume(throwing: CancellationError())
        }
    }

    /// Sets the clock to `instant`, forward or back (a wall-clock jump), and wakes every sleeper.
    public func advance(to instant: Date) {
        let sleepers = state.withLock { state in
            state.now = instant
            defer { state.sleepers = [:] }
            return Array(state.sleepers.values)
        }
        for sleeper in sleepers { sleeper.resume() }
    }

    /// Moves the clock by `interval` (negative: back).
    public func advance(by interval: Duration) {
        advance(to: now().addingTimeInterval(Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18))
    }
}

/// A schedule that fires every `period` from a reference instant, in any zone; for scenarios that do
/// not need cron's calendar.
public struct PeriodicSchedule: FireSchedule {
    public var period: TimeInterval
    public var reference: Date
    public init(every period: Duration, from reference: Date = Date(timeIntervalSince1970: 0)) {
        self.period = Double(period.components.seconds) + Double(period.components.attoseconds) / 1e18
        self.reference = reference
    }
    public var isReboot: Bool { false }
    public var description: String { "every \(period)s" }
    public func nextFireDate(after instant: Date, in zone: TimeZone) -> Date? {
        let steps = ((instant.timeIntervalSince(reference)) / period).rounded(.down) + 1
        return reference.addingTimeInterval(steps * period)
    }
    public func previousFireDate(before instant: Date, in zone: TimeZone) -> Date? {
        let steps = ((instant.timeIntervalSince(reference)) / period).rounded(.up) - 1
        return reference.addingTimeInterval(steps * period)
    }
}
