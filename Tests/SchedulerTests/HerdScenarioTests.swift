import Foundation
import RunModel
import Scheduler
import SchedulerTesting
import Testing

/// Slots due at the same instant (a thundering herd at 00:00): recorded together, started together,
/// and still under the global limits and the run store's guarantees.
@Suite(.timeLimit(.minutes(1)))
struct HerdScenarioTests {
    let t0 = instant("2026-11-02T10:00:00Z")

    @Test func aHerdsIntentsAreRecordedInOneBatchAndEachSlotOnce() async throws {
        let jobs = (0..<10).map { job("job-\($0)", every: .seconds(60)) }
        let h = Harness(jobs: jobs, at: t0)
        try await h.run { h in
            await h.advance(to: t0.adding(.seconds(60)))
            let herd = Set(jobs.map { Slot(job: $0.name, scheduledAt: t0.adding(.seconds(60))) })
            #expect(h.store.intentBatches.map(Set.init) == [herd])
            #expect(Set(h.executor.startedSlots) == herd)
            #expect(h.store.records.allSatisfy { $0.state == .started })
            // Still running at the next slot: the core skips them all, no intent is written for them.
            await h.advance(to: t0.adding(.seconds(120)))
            #expect(h.store.intentBatches.count == 1)
            for slot in herd { await h.finish(slot) }
            await h.advance(to: t0.adding(.seconds(180)))
            #expect(h.store.intentBatches.count == 2)
            #expect(h.store.intentBatches.last.map { Set($0).count } == 10)
            let slots = h.store.records.map(\.slot)
            #expect(Set(slots).count == slots.count, "a slot was recorded twice")
            #expect(h.executor.started.count == 20)
        }
    }

    @Test func aHerdsStartCallsRunConcurrentlyAndTheRateCapStillHolds() async throws {
        let executor = FakeExecutor()
        let jobs = (1...7).map { job("job\($0)", every: .seconds(3600)) }
        let h = Harness(jobs: jobs, at: t0.adding(.seconds(-1)), executor: executor, limits: SchedulerLimits(maxStartsPerSecond: 3))
        try await h.run { h in
            for (second, total) in [(0, 3), (1, 6), (2, 7)] {
                executor.holdStarts()
                h.clock.advance(to: t0.adding(.seconds(second)))
                // Every start call of this second's share is in flight at once, and none beyond it.
                await executor.waitForEnteredStarts(total)
                #expect(executor.entered.count == total)
                #expect(executor.started.count == second * 3)
                executor.releaseStarts()
                await h.scheduler.settle()
                #expect(executor.started.count == total)
                #expect(executor.entered.count == total)
            }
            #expect(h.store.intentBatches.map(\.count) == [3, 3, 1])
            #expect(Set(executor.startedSlots).count == 7)
        }
    }

    @Test func anOverlapTheStoreRefusesInAHerdIsRecordedAsSkippedAndTheRestStarts() async throws {
        let jobs = [job("report", every: .seconds(60)), job("sync", every: .seconds(60))]
        let h = Harness(jobs: jobs, at: t0)
        try await h.run { h in
            // Another daemon recorded a run of report that this one's core does not know of.
            let foreign = RunRecord(
                id: RunID(rawValue: 1), slot: Slot(job: "report", scheduledAt: t0.adding(.seconds(30))), trigger: .manual,
                state: .started, handle: RunHandle(executor: .local, reference: "elsewhere"))
            h.store.seed(foreign)
            await h.advance(to: t0.adding(.seconds(60)))
            let report = Slot(job: "report", scheduledAt: t0.adding(.seconds(60)))
            let sync = Slot(job: "sync", scheduledAt: t0.adding(.seconds(60)))
            #expect(h.store.intentBatches.map(Set.init) == [[report, sync]])
            #expect(h.states(of: "report") == [.started, .skipped(.overlap(blocking: foreign.id))])
            #expect(h.states(of: "sync") == [.started])
            #expect(h.executor.startedSlots == [sync])
            #expect(h.events.all.contains(.skipped(report, trigger: .scheduled, reason: .overlap(blocking: foreign.id))))
            // The refused slot does not count as active: only sync's run does.
            #expect(await h.scheduler.activeRunsCount() == 1)
        }
    }

    @Test func aFailedStartInAHerdFailsThatRunAloneAndTheOthersStart() async throws {
        let executor = FakeExecutor()
        executor.failStarts(of: "broken")
        let jobs = [job("broken", every: .seconds(60)), job("report", every: .seconds(60)), job("sync", every: .seconds(60))]
        let h = Harness(jobs: jobs, at: t0, executor: executor)
        try await h.run { h in
            await h.advance(to: t0.adding(.seconds(60)))
            await h.store.wait { $0.count == 3 && $0.allSatisfy { $0.state != .intended } }
            #expect(
                h.states(of: "broken") == [
                    .ended(.failed(exitCode: nil, reason: "could not start: the fake executor was told to fail broken"))
                ])
            #expect(h.states(of: "report") == [.started])
            #expect(h.states(of: "sync") == [.started])
            #expect(await h.scheduler.activeRunsCount() == 2)
        }
    }
}
