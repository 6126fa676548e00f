import Foundation
import Scheduler
import Synchronization
import Testing

/// ``Latch/wait(upTo:)``: the value when it comes in time, `nil` when the time is up or the waiter
/// is cancelled; a value set before the wait is returned at once; the latch works on afterwards.
@Suite(.timeLimit(.minutes(1)))
struct LatchTests {
    @Test func aValueSetWhileWaitingEndsTheWait() async {
        let latch = Latch<Int>()
        async let waited = latch.wait(upTo: .seconds(30))
        try? await Task.sleep(for: .milliseconds(50))
        latch.set(7)
        let began = ContinuousClock.now
        #expect(await waited == 7)
        #expect(ContinuousClock.now - began < .seconds(10), "the wait ended with the value, not with its time")
    }

    @Test func aValueSetBeforeIsReturnedAtOnce() async {
        let latch = Latch<String>()
        latch.set("done")
        #expect(await latch.wait(upTo: .seconds(30)) == "done")
    }

    @Test func theTimeRunningOutGivesNilAndTheLatchWorksOn() async {
        let latch = Latch<Int>()
        let began = ContinuousClock.now
        #expect(await latch.wait(upTo: .milliseconds(100)) == nil)
        #expect(ContinuousClock.now - began >= .milliseconds(100))
        latch.set(3)
        #expect(await latch.wait(upTo: .milliseconds(100)) == 3)
        #expect(await latch.wait() == 3)
    }

    @Test func aCancelledWaiterGetsNil() async {
        let latch = Latch<Int>()
        let waiter = Task { await latch.wait(upTo: .seconds(30)) }
        try? await Task.sleep(for: .milliseconds(50))
        waiter.cancel()
        #expect(await waiter.value == nil)
        latch.set(1)
        #expect(latch.value == 1)
    }

    @Test func callbacksRunOnceWhenSetAtOnceIfSetAndNeverIfForgotten() {
        let latch = Latch<Int>()
        let calls = Mutex<[String]>([])
        latch.whenSet { value in calls.withLock { $0.append("early \(value)") } }
        let forgotten = latch.whenSet { value in calls.withLock { $0.append("forgotten \(value)") } }
        latch.forget(forgotten)
        #expect(calls.withLock { $0 }.isEmpty, "nothing runs before the value is set")
        latch.set(4)
        latch.set(5)  // the first value wins; callbacks do not run again
        latch.whenSet { value in calls.withLock { $0.append("late \(value)") } }
        #expect(calls.withLock { $0 } == ["early 4", "late 4"])
    }
}
