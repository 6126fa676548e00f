public import Foundation

/// The wall clock the scheduler reads and sleeps on; tests use a manual one.
public protocol WallClock: Sendable {
    /// The current instant.
    func now() -> Date
    /// Suspends until `deadline` on this clock, or earlier: callers re-read `now()` when it returns.
    /// - Throws: `CancellationError` when the task is cancelled.
    func sleep(until deadline: Date) async throws
    /// Calls `action` once `deadline` has come on this clock, unless the returned call is cancelled
    /// first. The default (``callInATask(at:_:)``) sleeps in a task of its own; the system clock's is a
    /// dispatch timer.
    func call(at deadline: Date, _ action: @escaping @Sendable () -> Void) -> ScheduledCall
}

/// The system's wall clock. It sleeps on `ContinuousClock` at most a minute at a time and then
/// re-reads the time, so an NTP step, a suspend and resume or a `date -s` is noticed within a minute.
public struct SystemWallClock: WallClock {
    /// The longest single sleep; picked so that a clock jump is noticed within it.
    public var longestSleep: Duration
    public init(longestSleep: Duration = .seconds(60)) { self.longestSleep = longestSleep }

    public func now() -> Date { Date() }

    public func sleep(until deadline: Date) async throws {
        let remaining = deadline.timeIntervalSince(now())
        guard remaining > 0 else { return }
        // No tolerance: left unset, the timer may fire late by a leeway libdispatch derives from the
        // sleep's length (milliseconds for a one-second sleep), and slots are due to the millisecond.
        try await Task.sleep(for: min(Duration.seconds(remaining), longestSleep), tolerance: .zero, clock: .continuous)
    }
}

extension Duration {
    /// The duration in seconds, as Foundation counts them (attoseconds included).
    var timeInterval: TimeInterval { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
