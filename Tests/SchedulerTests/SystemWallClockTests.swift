import Foundation
import Scheduler
import Testing

/// The real clock: a sleep never outlasts `longestSleep`, so a wall-clock jump is noticed by the
/// caller re-reading `now()` (the loop sleeps a minute at most).
@Suite(.timeLimit(.minutes(1)))
struct SystemWallClockTests {
    @Test func aSleepForAnHourEndsAfterTheLongestSleepSoTheCallerRereadsTheClock() async throws {
        let clock = SystemWallClock(longestSleep: .milliseconds(50))
        let began = ContinuousClock.now
        try await clock.sleep(until: clock.now().addingTimeInterval(3600))
        let slept = ContinuousClock.now - began
        #expect(slept >= .milliseconds(50))
        // Far below the hour asked for, and below the default one-minute cap; generous because CI's
        // two cores are shared with a parallel test run (12.5 s was seen under load).
        #expect(slept < .seconds(40))
    }

    @Test func aSleepUntilThePastReturnsAtOnce() async throws {
        let clock = SystemWallClock()
        let began = ContinuousClock.now
        try await clock.sleep(until: clock.now().addingTimeInterval(-10))
        // Well below the shortest real sleep (a minute), with room for a loaded machine.
        #expect(ContinuousClock.now - began < .seconds(30))
    }

    @Test func aCancelledSleepThrows() async throws {
        let clock = SystemWallClock()
        let sleeper = Task { try await clock.sleep(until: clock.now().addingTimeInterval(3600)) }
        sleeper.cancel()
        await #expect(throws: CancellationError.self) { try await sleeper.value }
    }
}
