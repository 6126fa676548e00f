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

    /// A scheduled call comes at its instant, never before, though each wait is at most
    /// `longestSleep` (here 50 ms of a 400 ms wait): a dispatch timer re-armed, no task.
    @Test func aScheduledCallComesAtItsInstantNotAtTheFirstWakeUp() async throws {
        let clock = SystemWallClock(longestSleep: .milliseconds(50))
        let deadline = clock.now().addingTimeInterval(0.4)
        let came = Latch<Date>()
        let call = clock.call(at: deadline) { came.set(Date()) }
        let at = await came.wait(upTo: .seconds(30))
        #expect(at.map { $0 >= deadline } == true, "came at \(String(describing: at)), due \(deadline)")
        #expect(!call.isCancelled)
    }

    /// A cancelled call never comes; one due in the past comes at once.
    @Test func aCancelledCallNeverComesAndAPastOneComesAtOnce() async throws {
        let clock = SystemWallClock(longestSleep: .milliseconds(50))
        let cancelled = Latch<Void>()
        let call = clock.call(at: clock.now().addingTimeInterval(0.2)) { cancelled.set(()) }
        call.cancel()
        let past = Latch<Void>()
        _ = clock.call(at: clock.now().addingTimeInterval(-1)) { past.set(()) }
        #expect(await past.wait(upTo: .seconds(30)) != nil)
        #expect(await cancelled.wait(upTo: .milliseconds(600)) == nil, "a cancelled call came")
        #expect(call.isCancelled)
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
