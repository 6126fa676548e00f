import Foundation
import RunModel
import Scheduler
import SchedulerTesting
import Testing

/// Catch-up after downtime, starting deadlines, and wall-clock jumps both ways.
@Suite(.timeLimit(.minutes(1)))
struct CatchUpScenarioTests {
    /// The last slot an hourly job ran before the daemon went down for three days.
    let lastRun = instant("2026-11-02T10:00:00Z")
    /// The daemon comes back 3 days and 30 minutes later: 72 hourly slots passed, none on time.
    let restart = instant("2026-11-05T10:30:00Z")

    /// A store holding the hourly job's last run before the outage.
    func storeBeforeOutage() -> InMemoryRunStore {
        let store = InMemoryRunStore()
        store.seed(
            RunRecord(
                id: RunID(rawValue: 1), slot: Slot(job: "hourly", scheduledAt: lastRun), trigger: .scheduled,
                state: .ended(.succeeded)))
        return store
    }

    struct OutageCase: CustomTestStringConvertible, Sendable {
        var policy: CatchUpPolicy
        var deadline: Duration?
        var started: [String]
        var missedCount: Int
        var testDescription: String { "\(policy), deadline \(deadline.map { "\($0)" } ?? "none")" }
    }

    @Test(arguments: [
        OutageCase(policy: .skip, deadline: nil, started: [], missedCount: 72),
        OutageCase(policy: .latest, deadline: nil, started: ["2026-11-05T10:00:00Z"], missedCount: 71),
        OutageCase(
            policy: .all(limit: 3), deadline: nil,
            started: ["2026-11-05T08:00:00Z", "2026-11-05T09:00:00Z", "2026-11-05T10:00:00Z"], missedCount: 69),
        // The deadline bounds `all` further: only slots less than 2 h late may start.
        OutageCase(
            policy: .all(limit: 10), deadline: .seconds(7200),
            started: ["2026-11-05T09:00:00Z", "2026-11-05T10:00:00Z"], missedCount: 70),
        // `latest` with the latest slot past its deadline starts nothing.
        OutageCase(policy: .latest, deadline: .seconds(600), started: [], missedCount: 72),
    ])
    func eachCatchUpPolicyAfterAThreeDayOutage(_ c: OutageCase) async throws {
        let hourly = job(
            "hourly", every: .seconds(3600), concurrency: .allow, catchUp: c.policy, startingDeadline: c.deadline)
        let h = Harness(jobs: [hourly], at: restart, store: storeBeforeOutage())
        try await h.run { h in
            #expect(h.executor.startedSlots.map { $0.scheduledAt.formatted(.iso8601) } == c.started)
            #expect(h.executor.started.allSatisfy { $0.request.trigger == .catchUp })
            let missed = h.store.records(of: "hourly").filter { if case .missed = $0.state { true } else { false } }
            #expect(missed.count == c.missedCount)
            // Every slot of the outage is on record exactly once: started or missed.
            #expect(h.store.records(of: "hourly").count == 1 + 72)
            #expect(Set(h.store.records.map(\.slot)).count == h.store.records.count)
            // Nothing more fires until the next slot, 11:00.
            #expect(await h.scheduler.nextWake() == instant("2026-11-05T11:00:00Z"))
        }
    }

    @Test func catchingUpAllUnderForbidRunsTheSlotsOneAfterAnother() async throws {
        let hourly = job("hourly", every: .seconds(3600), concurrency: .forbid, catchUp: .all(limit: 3))
        let h = Harness(jobs: [hourly], at: restart, store: storeBeforeOutage())
        try await h.run { h in
            let slots = ["2026-11-05T08:00:00Z", "2026-11-05T09:00:00Z", "2026-11-05T10:00:00Z"].map {
                Slot(job: "hourly", scheduledAt: instant($0))
            }
            #expect(h.executor.startedSlots == [slots[0]])
            await h.finish(slots[0])
            await h.scheduler.settle()
            await h.executor.waitForStarts(2)
            #expect(h.executor.startedSlots == Array(slots[0...1]))
            await h.finish(slots[1])
            await h.scheduler.settle()
            await h.executor.waitForStarts(3)
            #expect(h.executor.startedSlots == slots)
            #expect(!h.store.records.contains { if case .skipped = $0.state { true } else { false } })
        }
    }

    @Test func aSlotPastItsDeadlineAfterWaitingForTheGlobalLimitIsMissed() async throws {
        // One active run is the global cap; the second job's slot waits, and is too late once the cap frees.
        let t0 = instant("2026-11-02T10:00:00Z")
        let long = job("long", every: .seconds(3600), concurrency: .allow)
        let quick = job("quick", every: .seconds(3600), startingDeadline: .seconds(30))
        let h = Harness(jobs: [long, quick], at: t0.adding(.seconds(-1)), limits: SchedulerLimits(maxActiveRuns: 1))
        try await h.run { h in
            await h.advance(to: t0)
            #expect(h.executor.startedSlots.map(\.job) == ["long"])
            await h.advance(to: t0.adding(.seconds(45)))
            await h.finish(Slot(job: "long", scheduledAt: t0))
            await h.scheduler.settle()
            await h.store.wait { records in records.contains { $0.slot.job == "quick" } }
            #expect(h.states(of: "quick") == [.missed(.pastStartingDeadline(lateBy: .seconds(45)))])
            #expect(h.executor.started.count == 1)
        }
    }

    @Test func aSlotWithinItsDeadlineAfterWaitingForTheGlobalLimitStartsLate() async throws {
        let t0 = instant("2026-11-02T10:00:00Z")
        let long = job("long", every: .seconds(3600), concurrency: .allow)
        let quick = job("quick", every: .seconds(3600), startingDeadline: .seconds(60))
        let h = Harness(jobs: [long, quick], at: t0.adding(.seconds(-1)), limits: SchedulerLimits(maxActiveRuns: 1))
        try await h.run { h in
            await h.advance(to: t0)
            await h.advance(to: t0.adding(.seconds(45)))
            await h.finish(Slot(job: "long", scheduledAt: t0))
            await h.scheduler.settle()
            await h.executor.waitForStarts(2)
            #expect(h.executor.startedSlots == [Slot(job: "long", scheduledAt: t0), Slot(job: "quick", scheduledAt: t0)])
        }
    }

    @Test func afterAJumpForwardPassedOverSlotsGoToTheCatchUpPolicy() async throws {
        let t0 = instant("2026-11-02T10:00:00Z")
        let h = Harness(jobs: [job("minutely", every: .seconds(60), concurrency: .allow)], at: t0)
        try await h.run { h in
            await h.advance(to: t0.adding(.seconds(60)))
            // NTP steps the clock 10 minutes forward, to 30 s past a slot.
            await h.advance(to: t0.adding(.seconds(11 * 60 + 30)))
            #expect(
                h.executor.startedSlots.map(\.scheduledAt) == [t0.adding(.seconds(60)), t0.adding(.seconds(11 * 60))])
            #expect(h.executor.started.last?.request.trigger == .catchUp)
            let missed = h.store.records(of: "minutely").filter { if case .missed(.passedOver(.latest)) = $0.state { true } else { false } }
            #expect(missed.map(\.slot.scheduledAt) == (2...10).map { t0.adding(.seconds($0 * 60)) })
        }
    }

    @Test func afterAJumpBackNoSlotFiresTwice() async throws {
        let t0 = instant("2026-11-02T10:00:00Z")
        let h = Harness(jobs: [job("minutely", every: .seconds(60), concurrency: .allow)], at: t0)
        try await h.run { h in
            for minute in 1...3 { await h.advance(to: t0.adding(.seconds(minute * 60))) }
            // The clock is set back 150 s, then runs forward again past where it was.
            await h.advance(to: t0.adding(.seconds(30)))
            for second in stride(from: 60, through: 300, by: 30) { await h.advance(to: t0.adding(.seconds(second))) }
            #expect(h.executor.startedSlots.map(\.scheduledAt) == (1...5).map { t0.adding(.seconds($0 * 60)) })
            #expect(h.executor.started.allSatisfy { $0.request.trigger == .scheduled })
        }
    }

    @Test func theCatchUpWalkIsBoundedForAPerSecondJobAfterThreeDays() {
        // 259,200 slots passed; only the most recent are listed, and the rest are counted.
        let perSecond = job("tick", every: .seconds(1), catchUp: .latest)
        let now = lastRun.adding(.seconds(3 * 86_400))
        let due = CatchUp.dueSlots(of: perSecond, after: lastRun, through: now.addingTimeInterval(5), tolerance: .seconds(1))
        #expect(due.isTruncated)
        #expect(due.onTime == [now.adding(.seconds(4)), now.adding(.seconds(5))])
        #expect(due.catchUp.isEmpty)  // a slot on time supersedes `latest`
        #expect(due.missed.count == 100)
        #expect(due.missed.last?.at == now.adding(.seconds(3)))
        #expect(due.unlistedMissedCount == 1000)
        #expect(due.latest == now.adding(.seconds(5)))
    }
}
