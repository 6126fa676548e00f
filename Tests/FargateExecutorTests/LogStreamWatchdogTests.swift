import Foundation
import Synchronization
import Testing

@testable import FargateExecutor

/// What ends a log request early without a task beside it: the follower's stop at once, silence after
/// the container's end once `drainTimeout` has passed with no line, and nothing once disarmed.
@Suite(.timeLimit(.minutes(1)))
struct LogStreamWatchdogTests {
    /// Counts the calls of the `stop` it hands out.
    final class Stops: Sendable {
        private let count = Atomic<Int>(0)
        var calls: Int { count.load(ordering: .acquiring) }
        var stop: @Sendable () -> Void { { [self] in _ = count.add(1, ordering: .acquiringAndReleasing) } }
    }

    func waitUntil(_ condition: () -> Bool, upTo limit: Duration = .seconds(10)) async {
        let deadline = ContinuousClock.now + limit
        while !condition(), ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
    }

    @Test func theFollowersStopEndsTheRequestAtOnce() async {
        let signal = PodEndSignal()
        let stops = Stops()
        let watchdog = LogStreamWatchdog(finished: signal, lastLine: Activity(), drainTimeout: .seconds(30))
        watchdog.arm(stopping: stops.stop)
        #expect(stops.calls == 0 && watchdog.ending == nil, "a running container's stream is left alone")
        signal.stop()
        #expect(stops.calls == 1)
        if case .stopped = watchdog.ending {} else { Issue.record("ending \(String(describing: watchdog.ending))") }
    }

    @Test func silenceAfterTheEndStopsTheRequestOnlyOnceTheDrainTimeHasPassedWithNoLine() async {
        let signal = PodEndSignal()
        let stops = Stops()
        let lastLine = Activity()
        let watchdog = LogStreamWatchdog(finished: signal, lastLine: lastLine, drainTimeout: .seconds(1))
        watchdog.arm(stopping: stops.stop)
        let ended = ContinuousClock.now
        signal.markFinished()
        // Lines still arriving after the end keep it open.
        for _ in 0..<4 {
            try? await Task.sleep(for: .milliseconds(100))
            lastLine.touch()
        }
        #expect(stops.calls == 0, "lines came within the drain time of each other")
        await waitUntil { stops.calls > 0 }
        #expect(stops.calls == 1)
        #expect(ContinuousClock.now - ended >= .milliseconds(1400), "400 ms of lines, then a second of silence")
        if case .silentAfterFinish = watchdog.ending {} else { Issue.record("ending \(String(describing: watchdog.ending))") }
    }

    @Test func theOpeningsStopIsReplacedByTheOpenRequests() {
        let signal = PodEndSignal()
        let opening = Stops(), open = Stops()
        let watchdog = LogStreamWatchdog(finished: signal, lastLine: Activity(), drainTimeout: .seconds(30))
        watchdog.arm(stopping: opening.stop)
        watchdog.arm(stopping: open.stop)
        signal.stop()
        #expect(opening.calls == 0 && open.calls == 1)
    }

    @Test func anEndBeforeTheRequestOpensStopsItAsSoonAsItIsArmed() {
        let signal = PodEndSignal()
        signal.stop()
        let stops = Stops()
        let watchdog = LogStreamWatchdog(finished: signal, lastLine: Activity(), drainTimeout: .seconds(30))
        watchdog.arm(stopping: { /* the opening: already ended by the check at arming */ })
        watchdog.arm(stopping: stops.stop)
        #expect(stops.calls == 1, "the open request is stopped at once: its end came first")
    }

    @Test func aDisarmedWatchdogStopsNothing() async {
        let signal = PodEndSignal()
        let stops = Stops()
        let watchdog = LogStreamWatchdog(finished: signal, lastLine: Activity(), drainTimeout: .milliseconds(50))
        watchdog.arm(stopping: stops.stop)
        watchdog.disarm()
        signal.markFinished()
        try? await Task.sleep(for: .milliseconds(300))
        signal.stop()
        #expect(stops.calls == 0)
        #expect(watchdog.ending == nil)
    }
}
