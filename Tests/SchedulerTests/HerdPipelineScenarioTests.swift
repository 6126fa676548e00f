import Foundation
import RunModel
import Scheduler
import SchedulerTesting
import Testing

/// Herds one after another (issue #13, Build 4): a second's batch of starts does not wait for the
/// previous second's start calls to return, so the start cap is the only throttle; a job's own slots
/// still start in order, one herd after the other.
@Suite(.timeLimit(.minutes(1)))
struct HerdPipelineScenarioTests {
    let t0 = instant("2026-11-02T10:00:00Z")

    /// Seven jobs due at once under a cap of 3 a second, every start call held (an API server slow to
    /// answer): each second's share is called while the earlier ones still wait. Before, the loop
    /// awaited a herd's calls and the second share never came (the test ran out of time).
    @Test func aSecondsShareIsCalledWhileTheEarlierOnesStillWait() async throws {
        let executor = FakeExecutor()
        let jobs = (1...7).map { job("job\($0)", every: .seconds(3600)) }
        let h = Harness(jobs: jobs, at: t0.adding(.seconds(-1)), executor: executor, limits: SchedulerLimits(maxStartsPerSecond: 3))
        try await h.run { h in
            executor.holdStarts()
            for (second, total) in [(0, 3), (1, 6), (2, 7)] {
                h.clock.advance(to: t0.adding(.seconds(second)))
                _ = await executor.waitForEnteredStarts(total)
                #expect(executor.started.isEmpty)
            }
            #expect(executor.entered.count == 7)
            executor.releaseStarts()
            await h.scheduler.settle()
            #expect(Set(executor.startedSlots).count == 7)
            #expect(h.store.intentBatches.map(\.count) == [3, 3, 1])
            #expect(h.store.records.allSatisfy { $0.state == .started })
        }
    }

    /// Two jobs due every second (runs may overlap), the one's start calls held (slow to answer), the
    /// other's not: the next second's herd calls and starts the other job's slot at once, while the
    /// held job's next slot waits until its earlier start has returned: a job's slots start in order,
    /// and no other job waits for them. Before, a herd's slots waited for the whole earlier herd (the
    /// other job's second slot never came, and the test ran out of time).
    @Test func aJobsNextSlotWaitsForItsEarlierStartAndNoOtherJobDoes() async throws {
        let executor = FakeExecutor()
        let every = job("every", every: .seconds(1), concurrency: .allow)
        let other = job("other", every: .seconds(1), concurrency: .allow)
        let h = Harness(jobs: [every, other], at: t0, executor: executor)
        try await h.run { h in
            executor.holdStarts(of: "every")
            h.clock.advance(to: t0.adding(.seconds(1)))
            _ = await executor.waitForStarts(1)
            _ = await executor.waitForEnteredStarts(2)
            h.clock.advance(to: t0.adding(.seconds(2)))
            let started = await executor.waitForStarts(2)
            #expect(started.map(\.request.slot) == [
                Slot(job: "other", scheduledAt: t0.adding(.seconds(1))), Slot(job: "other", scheduledAt: t0.adding(.seconds(2))),
            ])
            #expect(!executor.entered.contains { $0.slot == Slot(job: "every", scheduledAt: t0.adding(.seconds(2))) })
            executor.releaseStarts()
            await h.scheduler.settle()
            let slotsOfEvery = executor.startedSlots.filter { $0.job == "every" }.map(\.scheduledAt)
            #expect(slotsOfEvery == [t0.adding(.seconds(1)), t0.adding(.seconds(2))])
            #expect(Set(executor.startedSlots).count == 4)
            #expect(h.store.records.allSatisfy { $0.state == .started })
        }
    }
}
