import Foundation
import RunModel
import Scheduler
import SchedulerTesting
import Testing

/// Overlap under each policy, and a run longer than its period.
@Suite(.timeLimit(.minutes(1)))
struct ConcurrencyScenarioTests {
    let t0 = instant("2026-11-02T10:00:00Z")

    @Test func forbidSkipsTheSlotWhileARunIsActiveAndRecordsTheBlockingRun() async throws {
        let h = Harness(jobs: [job("report", every: .seconds(60), concurrency: .forbid)], at: t0)
        try await h.run { h in
            await h.advance(to: t0.adding(.seconds(60)))
            let first = try #require(h.store.records(of: "report").first)
            #expect(first.state == .started)
            await h.advance(to: t0.adding(.seconds(120)))
            #expect(h.executor.started.count == 1)
            #expect(h.states(of: "report") == [.started, .skipped(.overlap(blocking: first.id))])
            await h.finish(first.slot)
            await h.advance(to: t0.adding(.seconds(180)))
            #expect(h.executor.startedSlots.map(\.scheduledAt) == [t0.adding(.seconds(60)), t0.adding(.seconds(180))])
        }
    }

    @Test func allowStartsASecondRunBesideTheActiveOne() async throws {
        let h = Harness(jobs: [job("sync", every: .seconds(60), concurrency: .allow)], at: t0)
        try await h.run { h in
            await h.advance(to: t0.adding(.seconds(60)))
            await h.advance(to: t0.adding(.seconds(120)))
            #expect(h.executor.started.count == 2)
            #expect(h.states(of: "sync") == [.started, .started])
            #expect(h.executor.cancelled.isEmpty)
        }
    }

    @Test func replaceCancelsTheActiveRunRecordsItAsReplacedThenStarts() async throws {
        let h = Harness(jobs: [job("warm", every: .seconds(60), concurrency: .replace)], at: t0)
        try await h.run { h in
            await h.advance(to: t0.adding(.seconds(60)))
            let first = try #require(h.executor.started.first)
            await h.advance(to: t0.adding(.seconds(120)))
            #expect(h.executor.cancelled == [first.handle])
            #expect(h.states(of: "warm") == [.replaced, .started])
            // The replaced run's own end (the cancellation) does not overwrite "replaced".
            await h.advance(to: t0.adding(.seconds(121)))
            #expect(h.states(of: "warm") == [.replaced, .started])
            #expect(h.events.all.contains(.replaced(first.request.slot, run: first.request.run)))
        }
    }

    @Test func aRunLongerThanItsPeriodRunsAloneUnderForbidAndTheFirstFreeSlotStartsNext() async throws {
        // A 10-second job whose run takes 35 seconds: slots 20, 30 and 40 are skipped, 50 starts.
        let h = Harness(jobs: [job("slow", every: .seconds(10))], at: t0)
        try await h.run { h in
            await h.advance(to: t0.adding(.seconds(10)))
            for second in [20, 30, 40] { await h.advance(to: t0.adding(.seconds(second))) }
            await h.advance(to: t0.adding(.seconds(45)))
            await h.finish(Slot(job: "slow", scheduledAt: t0.adding(.seconds(10))))
            await h.advance(to: t0.adding(.seconds(50)))
            let runID = try #require(h.store.records(of: "slow").first?.id)
            let blocked = SkipReason.overlap(blocking: runID)
            #expect(h.states(of: "slow") == [.ended(.succeeded), .skipped(blocked), .skipped(blocked), .skipped(blocked), .started])
            #expect(h.executor.startedSlots.map(\.scheduledAt) == [t0.adding(.seconds(10)), t0.adding(.seconds(50))])
        }
    }

    @Test func aRunLongerThanItsPeriodOverlapsItselfUnderAllow() async throws {
        let h = Harness(jobs: [job("slow", every: .seconds(10), concurrency: .allow)], at: t0)
        try await h.run { h in
            for second in [10, 20, 30] { await h.advance(to: t0.adding(.seconds(second))) }
            #expect(await h.scheduler.activeRunsCount() == 3)
            await h.finish(Slot(job: "slow", scheduledAt: t0.adding(.seconds(10))))
            #expect(h.states(of: "slow") == [.ended(.succeeded), .started, .started])
        }
    }

    @Test func aFailedStartIsRecordedAsFailedWithTheExecutorsReason() async throws {
        let executor = FakeExecutor()
        executor.failStarts(of: "broken")
        let h = Harness(jobs: [job("broken", every: .seconds(60))], at: t0, executor: executor)
        try await h.run { h in
            await h.advance(to: t0.adding(.seconds(60)))
            await h.store.wait { $0.first?.state.isTerminal == true }
            #expect(
                h.states(of: "broken") == [
                    .ended(.failed(exitCode: nil, reason: "could not start: the fake executor was told to fail broken"))
                ])
            // The failed start does not block the next slot.
            await h.advance(to: t0.adding(.seconds(120)))
            #expect(h.store.records(of: "broken").count == 2)
        }
    }

    @Test func aSuspendedJobSkipsItsSlotsButATriggerStillRunsIt() async throws {
        let h = Harness(jobs: [job("paused", every: .seconds(60), isSuspended: true)], at: t0)
        try await h.run { h in
            await h.advance(to: t0.adding(.seconds(60)))
            #expect(h.states(of: "paused") == [.skipped(.suspended)])
            let result = await h.scheduler.trigger("paused")
            #expect(result == .started(RunID(rawValue: 2)))
            #expect(h.store.records(of: "paused").last?.trigger == .manual)
        }
    }
}

extension Scheduler {
    /// The number of runs the core counts as active.
    func activeRunsCount() async -> Int { await status().reduce(0) { $0 + $1.activeRuns.count } }
}
