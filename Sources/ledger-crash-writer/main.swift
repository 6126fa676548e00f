// ledger-crash-writer STATE_DIR
//
// The child process of LedgerTests' crash test. It opens the ledger, reconciles what a previous
// (killed) instance left active, prints `ready`, then records runs in a loop until it is killed:
// for each slot an intent, a refused overlapping intent recorded as skipped, a refused duplicate
// intent, then started, running and an end. After each change has been committed it prints one
// line `ID STATE JOB SCHEDULED_MS`, so the test knows what must survive the kill.
import Foundation
import Ledger
import RunModel

#if canImport(Glibc)
    import Glibc
#endif

func report(_ run: Run) {
    let line = "\(run.id) \(run.state) \(run.job) \(Int64(run.scheduledAt.timeIntervalSince1970 * 1000))\n"
    FileHandle.standardOutput.write(Data(line.utf8))  // unbuffered: write(2) at once
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("ledger-crash-writer: \(message)\n".utf8))
    exit(3)
}

guard CommandLine.arguments.count == 2 else { fail("usage: ledger-crash-writer STATE_DIR") }
let jobs = ["alpha", "bravo", "charlie"]

do {
    let ledger = try RunLedger.open(stateDirectory: CommandLine.arguments[1])
    for run in ledger.runsToReconcile {
        report(try ledger.record(.cancelled(reason: "reconciled after a crash"), for: run.id, at: Date()))
    }
    // Continue after the newest slot any earlier instance recorded, so that slots never repeat.
    let base = try ledger.history(limit: 1).first?.scheduledAt ?? Date(timeIntervalSince1970: 1_798_761_600)
    FileHandle.standardOutput.write(Data("ready\n".utf8))
    for index in 1... {
        let slot = Slot(job: jobs[index % jobs.count], scheduledAt: base.addingTimeInterval(Double(index) * 60))
        let run = try ledger.recordIntent(for: slot, policy: .forbid, trigger: .scheduled, at: Date())
        report(run)
        let overlapping = Slot(job: slot.job, scheduledAt: slot.scheduledAt.addingTimeInterval(30))
        do {
            try ledger.recordIntent(for: overlapping, policy: .forbid, at: Date())
            fail("an overlapping intent for \(overlapping) was accepted")
        } catch .jobHasActiveRun(_, let blocking) where blocking == run.id {
            report(try ledger.record(.skipped(blockedBy: blocking), for: overlapping, policy: .forbid, at: Date()))
        }
        do {
            try ledger.recordIntent(for: slot, policy: .forbid, at: Date())
            fail("a second intent for \(slot) was accepted")
        } catch .slotAlreadyRecorded(_, let existing) where existing == run.id {}
        report(
            try ledger.record(
                .started(RunHandle(executor: .kubernetes, reference: "\(slot.job)-\(index)", uid: "uid-\(run.id)")), for: run.id, at: Date()))
        report(
            try ledger.record(
                .running(pod: "\(slot.job)-\(index)-pod", capacity: "0.25vCPU 0.5GB"), for: run.id, at: Date()))
        let end: RunEvent = index % 4 == 0 ? .failed(exitCode: 1, reason: "exit 1") : .succeeded
        report(try ledger.record(end, for: run.id, at: Date()))
    }
} catch {
    fail("\(error)")
}
