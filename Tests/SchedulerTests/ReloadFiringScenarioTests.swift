import Foundation
import RunModel
import Scheduler
import SchedulerTesting
import Testing

/// A reload never makes a job fire at once (issue #3): not an added job, not a job whose schedule
/// changed, even under `CRON_CATCH_UP=all`, whose catch-up is only for slots passed over while the
/// scheduler was not looking (downtime, a clock jump), never for slots before the job or its schedule existed.
@Suite(.timeLimit(.minutes(1)))
struct ReloadFiringScenarioTests {
    let t0 = instant("2026-11-02T10:00:00Z")

    @Test func addedAndRescheduledJobsFireFirstAtTheirNextSlotEvenWhenCatchingUpAll() async throws {
        let h = Harness(jobs: [job("report", every: .seconds(3600), catchUp: .all(limit: 100))], at: t0)
        try await h.run { h in
            await h.advance(to: t0.adding(.seconds(1830)))
            // Both jobs now have 30 per-minute slots before the reload; none of them is owed.
            let diff = await h.scheduler.reload([
                job("report", every: .seconds(60), catchUp: .all(limit: 100)),
                job("fresh", every: .seconds(60), catchUp: .all(limit: 100)),
            ])
            #expect(diff == ReloadDiff(added: ["fresh"], changed: ["report"]))
            await h.scheduler.settle()
            #expect(h.executor.started.isEmpty)
            #expect(h.store.records(of: "report").isEmpty && h.store.records(of: "fresh").isEmpty)
            #expect(await h.scheduler.nextWake() == t0.adding(.seconds(1860)))
            await h.advance(to: t0.adding(.seconds(1860)))
            #expect(h.executor.startedSlots.map(\.job).sorted() == ["fresh", "report"])
            #expect(h.executor.startedSlots.map(\.scheduledAt) == [t0.adding(.seconds(1860)), t0.adding(.seconds(1860))])
        }
    }
}
