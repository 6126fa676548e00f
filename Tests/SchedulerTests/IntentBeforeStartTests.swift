import Foundation
import RunModel
import Scheduler
import SchedulerTesting
import Testing

/// The ledger's first rule: a run's intent is on record before any executor (API) call for it.
@Suite(.timeLimit(.minutes(1)))
struct IntentBeforeStartTests {
    let t0 = instant("2026-11-02T10:00:00Z")

    @Test(arguments: [Trigger.scheduled, .manual])
    func theIntentIsRecordedBeforeTheExecutorIsCalled(_ trigger: Trigger) async throws {
        let executor = FakeExecutor()
        let h = Harness(jobs: [job("report", every: .seconds(3600))], at: t0, executor: executor)
        try await h.run { h in
            executor.holdStarts()
            let triggered: Task<Void, Never>?
            if trigger == .manual {
                triggered = Task { _ = await h.scheduler.trigger("report") }
            } else {
                triggered = nil
                h.clock.advance(to: t0.adding(.seconds(3600)))
            }
            // The executor is inside its start call: the run is already on record, as intended,
            // under the id the request carries.
            let entered = try #require(await executor.waitForEnteredStarts(1).first)
            let records = h.store.records
            #expect(records.map(\.id) == [entered.run])
            #expect(records.map(\.state) == [.intended])
            #expect(records.map(\.slot) == [entered.slot] && records.map(\.trigger) == [trigger])
            executor.releaseStarts()
            await triggered?.value
            await h.scheduler.settle()
            #expect(h.store.records.map(\.state) == [.started])
        }
    }
}
