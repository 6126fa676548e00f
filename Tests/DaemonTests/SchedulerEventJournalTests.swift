import Foundation
import RunModel
import Scheduler
import Systemd
import Testing

@testable import Daemon

/// Which journal run event (and so which `MESSAGE_ID`) each scheduler event becomes.
struct SchedulerEventJournalTests {
    let slot = Slot(job: "nightly-report", scheduledAt: Date(timeIntervalSince1970: 1_795_923_000))
    let run = RunID(rawValue: 7)

    @Test func aCancelledRunIsItsOwnEventNotAFailure() throws {
        let event = try #require(SchedulerEvent.ended(slot, run: run, outcome: .cancelled(reason: "the daemon is stopping")).runEvent)
        #expect(event.kind == .cancelled)
        #expect(event.metadata[JournalField.messageID].map { "\($0)" } == RunEvent.Kind.cancelled.messageID)
        #expect(event.message == "Run 7 of nightly-report was cancelled: the daemon is stopping")
    }

    @Test func aLostRunIsItsOwnEvent() throws {
        let event = try #require(SchedulerEvent.lost(slot, run: run, reason: "its Job batch/nightly-report-29932050 is gone").runEvent)
        #expect(event.kind == .lost)
        #expect(event.metadata[JournalField.messageID].map { "\($0)" } == RunEvent.Kind.lost.messageID)
        #expect(event.message == "Run 7 of nightly-report scheduled at 2026-11-29T03:30:00Z was lost: its Job batch/nightly-report-29932050 is gone")
    }

    @Test func aKubernetesStartNamesItsNamespaceAndJob() throws {
        let handle = RunHandle(executor: .kubernetes, reference: "batch/nightly-report-29932050")
        let event = try #require(SchedulerEvent.started(slot, run: run, trigger: .scheduled, handle: handle).runEvent)
        #expect(event.namespace == "batch")
        #expect(event.kubernetesJob == "nightly-report-29932050")
        let local = RunHandle(executor: .local, reference: "pid=12 start=34")
        let localEvent = try #require(SchedulerEvent.started(slot, run: run, trigger: .manual, handle: local).runEvent)
        #expect(localEvent.namespace == nil && localEvent.kubernetesJob == nil)
        #expect(localEvent.reason == "trigger: manual")
    }
}
