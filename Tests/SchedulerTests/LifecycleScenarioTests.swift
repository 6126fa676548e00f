import CronExpression
import Foundation
import RunModel
import Scheduler
import SchedulerTesting
import Testing

/// Reloads, triggers, restarts and the global limits.
@Suite(.timeLimit(.minutes(1)))
struct LifecycleScenarioTests {
    let t0 = instant("2026-11-02T10:00:00Z")

    @Test func aReloadMidRunKeepsTheRunningRunAndItsPolicy() async throws {
        let h = Harness(jobs: [job("report", every: .seconds(60)), job("old", every: .seconds(60))], at: t0)
        try await h.run { h in
            await h.advance(to: t0.adding(.seconds(60)))
            let running = try #require(h.store.records(of: "report").first)
            var changed = job("report", every: .seconds(60))
            changed.command = "bin/report --v2"
            let diff = await h.scheduler.reload([changed, job("new", every: .seconds(60))])
            #expect(diff == ReloadDiff(added: ["new"], removed: ["old"], changed: ["report"]))
            #expect(h.executor.cancelled.isEmpty)
            // The run from before the reload still blocks the changed job's next slot (forbid).
            await h.advance(to: t0.adding(.seconds(120)))
            #expect(h.states(of: "report") == [.started, .skipped(.overlap(blocking: running.id))])
            #expect(h.executor.startedSlots.map(\.job).sorted() == ["new", "old", "report"])
            // The removed job's run is still followed to its end; it never fires again.
            await h.finish(Slot(job: "old", scheduledAt: t0.adding(.seconds(60))))
            #expect(h.states(of: "old") == [.ended(.succeeded)])
            await h.finish(running.slot)
            await h.advance(to: t0.adding(.seconds(180)))
            #expect(h.executor.started.last?.request.command == "bin/report --v2")
            #expect(h.store.records(of: "old").count == 1)
        }
    }

    @Test func reloadsThatRemoveJobsFromTheMiddleKeepEveryOtherJobsTimelineAndPolicy() async throws {
        // The timelines are stored densely: removing one moves another into its place.
        let periods = ["a": 60, "b": 120, "c": 60, "d": 180, "e": 60]
        let all = periods.keys.sorted().map { job($0, every: .seconds(periods[$0]!), concurrency: $0 == "e" ? .allow : .forbid) }
        let h = Harness(jobs: all, at: t0)
        try await h.run { h in
            let diff = await h.scheduler.reload(all.filter { $0.name != "b" })
            #expect(diff == ReloadDiff(removed: ["b"]))
            _ = await h.scheduler.reload(all.filter { !["a", "b"].contains($0.name) } + [job("f", every: .seconds(60))])
            let jobs = await h.scheduler.status()
            #expect(jobs.map(\.name) == ["c", "d", "e", "f"])
            #expect(jobs.map(\.concurrency) == [.forbid, .forbid, .allow, .forbid])
            #expect(jobs.map(\.nextFireDate) == [60, 180, 60, 60].map { t0.adding(.seconds($0)) })
            await h.advance(to: t0.adding(.seconds(180)))
            #expect(h.executor.startedSlots.filter { $0.job == "d" }.map(\.scheduledAt) == [t0.adding(.seconds(180))])
            #expect(h.executor.startedSlots.filter { $0.job == "e" }.count == 1)
            #expect(h.store.records(of: "a").isEmpty && h.store.records(of: "b").isEmpty)
        }
    }

    @Test func aReloadThatChangesTheScheduleDoesNotFireTheJobAtOnce() async throws {
        let h = Harness(jobs: [job("report", every: .seconds(3600))], at: t0)
        try await h.run { h in
            await h.advance(to: t0.adding(.seconds(1800)))
            _ = await h.scheduler.reload([job("report", every: .seconds(60))])
            await h.scheduler.settle()
            #expect(h.executor.started.isEmpty)
            #expect(await h.scheduler.nextWake() == t0.adding(.seconds(1860)))
        }
    }

    @Test func aTriggerDuringARunIsSkippedUnderForbidAndRecordedAsManual() async throws {
        let h = Harness(jobs: [job("report", every: .seconds(3600))], at: t0)
        try await h.run { h in
            await h.advance(to: t0.adding(.seconds(3600)))
            let running = try #require(h.store.records(of: "report").first)
            await h.advance(by: .seconds(5))
            let result = await h.scheduler.trigger("report")
            #expect(result == .skipped(.overlap(blocking: running.id)))
            let manual = try #require(h.store.records(of: "report").last)
            #expect(manual.trigger == .manual)
            #expect(manual.slot.scheduledAt == t0.adding(.seconds(3605)))
            #expect(h.executor.started.count == 1)
        }
    }

    @Test func aTriggerDuringARunStartsASecondRunUnderAllowAndReplacesUnderReplace() async throws {
        let h = Harness(
            jobs: [job("a", every: .seconds(3600), concurrency: .allow), job("r", every: .seconds(3600), concurrency: .replace)],
            at: t0)
        try await h.run { h in
            await h.advance(to: t0.adding(.seconds(3600)))
            await h.advance(by: .seconds(5))
            guard case .started = await h.scheduler.trigger("a") else { Issue.record("allow: not started"); return }
            guard case .started = await h.scheduler.trigger("r") else { Issue.record("replace: not started"); return }
            #expect(h.states(of: "a") == [.started, .started])
            #expect(h.states(of: "r") == [.replaced, .started])
            #expect(await h.scheduler.trigger("nope") == .unknownJob("nope"))
        }
    }

    @Test func aRestartAdoptsARunThatSurvivedAndFiresNothingOverIt() async throws {
        let store = InMemoryRunStore()
        let slot = Slot(job: "report", scheduledAt: t0)
        let handle = RunHandle(executor: .local, reference: "pid 4242")
        store.seed(RunRecord(id: RunID(rawValue: 1), slot: slot, trigger: .scheduled, state: .started, handle: handle))
        let executor = FakeExecutor()
        executor.setReattachment(.running(handle), for: RunID(rawValue: 1))
        let h = Harness(jobs: [job("report", every: .seconds(60))], at: t0.adding(.seconds(30)), store: store, executor: executor)
        try await h.run { h in
            await h.advance(to: t0.adding(.seconds(60)))
            #expect(h.executor.started.isEmpty)
            #expect(h.states(of: "report") == [.started, .skipped(.overlap(blocking: RunID(rawValue: 1)))])
            executor.finishAdopted(handle, .failed(exitCode: 2, reason: "exited with status 2"))
            await h.store.wait { $0.first?.state.isTerminal == true }
            #expect(h.states(of: "report").first == .ended(.failed(exitCode: 2, reason: "exited with status 2")))
            await h.advance(to: t0.adding(.seconds(120)))
            #expect(h.executor.startedSlots == [Slot(job: "report", scheduledAt: t0.adding(.seconds(120)))])
        }
    }

    /// Issue #12: a run found lost at start-up (the daemon died under it, and no executor can find
    /// it again) was recorded as failed without a word in the journal. It is a run event of its own.
    @Test func test_aRunLostAtStartUpIsAnEventOfItsOwn_bug12() async throws {
        let store = InMemoryRunStore()
        let slot = Slot(job: "report", scheduledAt: t0)
        let handle = RunHandle(executor: .local, reference: "pid=4242 start=1")
        store.seed(RunRecord(id: RunID(rawValue: 1), slot: slot, trigger: .scheduled, state: .started, handle: handle))
        let executor = FakeExecutor()
        executor.setReattachment(.lost(reason: "process 4242 ended while the daemon was down"), for: RunID(rawValue: 1))
        let h = Harness(jobs: [job("report", every: .seconds(60))], at: t0.adding(.seconds(30)), store: store, executor: executor)
        try await h.run { h in
            #expect(h.states(of: "report") == [.ended(.failed(exitCode: nil, reason: "lost: process 4242 ended while the daemon was down"))])
            #expect(h.events.all == [.lost(slot, run: RunID(rawValue: 1), reason: "process 4242 ended while the daemon was down")])
        }
    }

    /// Killed after the executor started the run but before its start was recorded: the store holds
    /// the run as intended, the executor finds it running. Its start is recorded at adoption, so its
    /// end can be (the ledger lets an intended run fail or be cancelled, never succeed).
    @Test func aRestartRecordsTheStartOfAnAdoptedRunThatWasOnlyIntended() async throws {
        let store = InMemoryRunStore()
        let slot = Slot(job: "report", scheduledAt: t0)
        let handle = RunHandle(executor: .local, reference: "batch/report-29932230")
        store.seed(RunRecord(id: RunID(rawValue: 1), slot: slot, trigger: .scheduled, state: .intended))
        let executor = FakeExecutor()
        executor.setReattachment(.running(handle), for: RunID(rawValue: 1))
        let h = Harness(jobs: [job("report", every: .seconds(60))], at: t0.adding(.seconds(30)), store: store, executor: executor)
        try await h.run { h in
            let adopted = try #require(h.store.records(of: "report").first)
            #expect(adopted.state == .started)
            #expect(adopted.handle == handle)
            executor.finishAdopted(handle, .succeeded)
            await h.store.wait { $0.first?.state.isTerminal == true }
            #expect(h.states(of: "report") == [.ended(.succeeded)])
        }
    }

    @Test func aRestartMarksARunThatDidNotSurviveAsLostBeforeAnySlotFires() async throws {
        let store = InMemoryRunStore()
        let slot = Slot(job: "report", scheduledAt: t0)
        store.seed(RunRecord(id: RunID(rawValue: 1), slot: slot, trigger: .scheduled, state: .intended))
        let h = Harness(jobs: [job("report", every: .seconds(60))], at: t0.adding(.seconds(60)), store: store)
        try await h.run { h in
            #expect(
                h.states(of: "report") == [
                    .ended(.failed(exitCode: nil, reason: "lost: the fake executor knows nothing of run 1")), .started,
                ])
            #expect(h.executor.startedSlots == [Slot(job: "report", scheduledAt: t0.adding(.seconds(60)))])
        }
    }

    @Test func aThunderingHerdIsStartedAtTheCappedRatePerSecond() async throws {
        let jobs = (1...7).map { job("job\($0)", every: .seconds(3600)) }
        let h = Harness(jobs: jobs, at: t0.adding(.seconds(-1)), limits: SchedulerLimits(maxStartsPerSecond: 3))
        try await h.run { h in
            await h.advance(to: t0)
            #expect(h.executor.started.count == 3)
            #expect(await h.scheduler.nextWake() == t0.adding(.seconds(1)))
            await h.advance(to: t0.adding(.seconds(1)))
            #expect(h.executor.started.count == 6)
            await h.advance(to: t0.adding(.seconds(2)))
            #expect(h.executor.started.count == 7)
            // In slot order, each once.
            #expect(Set(h.executor.startedSlots).count == 7)
        }
    }

    @Test func theActiveRunCapHoldsSlotsUntilARunEnds() async throws {
        let jobs = (1...3).map { job("job\($0)", every: .seconds(3600)) }
        let h = Harness(jobs: jobs, at: t0.adding(.seconds(-1)), limits: SchedulerLimits(maxActiveRuns: 2))
        try await h.run { h in
            await h.advance(to: t0)
            #expect(h.executor.started.count == 2)
            let first = try #require(h.executor.startedSlots.first)
            await h.finish(first)
            await h.scheduler.settle()
            await h.executor.waitForStarts(3)
            #expect(await h.scheduler.activeRunsCount() == 2)
        }
    }

    @Test func aStopCancelsRunsThatCannotSurviveItAndLeavesOthersToBeReattached() async throws {
        let local = FakeExecutor(kind: .local, runsSurviveShutdown: false)
        let h = Harness(jobs: [job("report", every: .seconds(60))], at: t0, executor: local)
        try await h.run { h in
            await h.advance(to: t0.adding(.seconds(60)))
        }
        #expect(h.states(of: "report") == [.ended(.cancelled(reason: "the daemon is stopping"))])

        let remote = FakeExecutor(kind: .local, runsSurviveShutdown: true)
        let h2 = Harness(jobs: [job("report", every: .seconds(60))], at: t0, executor: remote)
        try await h2.run { h in
            await h.advance(to: t0.adding(.seconds(60)))
        }
        #expect(h2.states(of: "report") == [.started])
    }

    @Test func aRebootJobRunsOnceAtStartAndNotOnAReload() async throws {
        let boot = ScheduledJob(name: "warm", schedule: try CronExpression("@reboot"), zone: utc, command: "true")
        let h = Harness(jobs: [boot], at: t0)
        try await h.run { h in
            #expect(h.executor.started.map(\.request.trigger) == [.reboot])
            _ = await h.scheduler.reload([boot, job("other", every: .seconds(3600))])
            await h.advance(to: t0.adding(.seconds(86_400)))
            #expect(h.store.records(of: "warm").count == 1)
            #expect(await h.scheduler.nextWake() == t0.adding(.seconds(86_400 + 3600)))
        }
    }

    @Test func outputLinesReachTheSinkTaggedWithTheRun() async throws {
        let executor = FakeExecutor()
        executor.writeOnStart(["hello", "world"])
        let h = Harness(jobs: [job("report", every: .seconds(60))], at: t0, executor: executor)
        try await h.run { h in
            await h.advance(to: t0.adding(.seconds(60)))
            #expect(h.output.lines.map(\.text) == ["hello", "world"])
            #expect(h.output.lines.allSatisfy { $0.run == RunID(rawValue: 1) && $0.slot.job == "report" })
        }
    }
}
