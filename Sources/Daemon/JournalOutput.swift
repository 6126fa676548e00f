import Foundation
import RunModel
import Scheduler
import Systemd

/// Sends each line of a run's output to the journal as its own entry, tagged with the job, the run
/// and the slot (the systemd module's `JobOutputSink`), so `journalctl CRON_JOB=NAME` shows it.
struct JournalOutput: OutputSink {
    let writer: EntryWriter

    func write(_ line: OutputLine) {
        let run = JobOutputSink.Run(job: line.slot.job, runID: line.run.description, scheduledAt: line.slot.scheduledAt)
        JobOutputSink(run: run, writer: writer).write(line: line.bytes, stream: line.stream == .stdout ? .stdout : .stderr)
    }
}
