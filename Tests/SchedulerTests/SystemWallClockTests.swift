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
        #expect(slept < .seconds(5))
    }

    @Test func aSleepUntilThePastReturnsAtOnce() async throws {
        let clock = SystemWallClock()
        let began = ContinuousClock.now
        try await clock.sleep(until: clock.now().addingTimeInterval(-10))
        #expect(ContinuousClock.now - began < .seconds(1))
    }

    @Test func aCancelledSleepThrows() async throws {
        let clock = SystemWallClock()
        let sleeper = Task { try await clock.sleep(until: clock.now().addingTimeInterval(3600)) }
        sleeper.cancel()
        await #expect(throws: CancellationError.self) { try await sleeper.value }
    }
}
