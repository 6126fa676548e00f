import RunModel
import ECS
import Foundation
import Scheduler
import Synchronization
import Systemd

/// One run the poller follows: its task, its state (``TaskRun``), where its output goes, and the
/// latch its outcome is awaited on.
final class FollowedRun: Sendable {
    let request: RunRequest
    let cluster: String
    let taskARN: String
    let container: String
    /// The task's awslogs stream, when its container logs with awslogs.
    let stream: AWSLogsStream?
    let state: Mutex<TaskRun>
    let logs = Mutex(LogCursor())
    let outcome = Latch<RunOutcome>()
    private let writeLine: @Sendable (LogEvent) -> Void

    struct LogCursor {
        /// The forward token of the last page read; `nil` before the first read.
        var token: String?
        var lines = 0
        var lastRead: Date = .distantPast
        /// Events at the stream's head that are in the journal already (a restart re-reads them).
        var alreadyWritten = 0
    }

    init(request: RunRequest, cluster: String, taskARN: String, definition: ResolvedTaskDefinition, state: TaskRun,
         journal: EntryWriter?, output: (any OutputSink)?) {
        self.request = request
        self.cluster = cluster
        self.taskARN = taskARN
        self.container = definition.container
        let taskID = String(taskARN.split(separator: "/").last ?? Substring(taskARN))
        self.stream = definition.logConfiguration?.awslogsStream(container: definition.container, taskID: taskID)
        self.state = Mutex(state)
        writeLine = Self.lineWriter(request: request, taskARN: taskARN, container: definition.container, journal: journal, output: output)
    }

    /// Writes one event of the task's stream as one output line, unless the journal has it already.
    func write(_ event: LogEvent) {
        let written = logs.withLock { cursor in
            cursor.lines += 1
            guard cursor.alreadyWritten == 0 else {
                cursor.alreadyWritten -= 1
                return true
            }
            return false
        }
        if !written { writeLine(event) }
    }

    /// Lines go to the journal with the run's fields (`CRON_JOB`, `CRON_RUN_ID`, `ECS_TASK_ARN`,
    /// `ECS_CONTAINER`, `CRON_OUTPUT_TIMESTAMP`), or to the scheduler's output sink without a journal;
    /// with one, the sink still hears each line (``OutputSink/noteJournaled(_:)``) for the run's tail.
    /// awslogs does not keep stdout and stderr apart, so every line is `stdout`.
    private static func lineWriter(
        request: RunRequest, taskARN: String, container: String, journal: EntryWriter?, output: (any OutputSink)?
    ) -> @Sendable (LogEvent) -> Void {
        guard let journal else {
            return { event in
                output?.write(OutputLine(slot: request.slot, run: request.run, stream: .stdout, bytes: Array(event.message.utf8)))
            }
        }
        let sink = JobOutputSink(
            run: JobOutputSink.Run(job: request.slot.job, runID: request.run.description, scheduledAt: request.slot.scheduledAt,
                                   ecsTaskARN: taskARN, ecsContainer: container),
            writer: journal)
        return { event in
            let bytes = Array(event.message.utf8)
            sink.write(line: bytes, stream: .stdout, timestamp: FollowedRun.rfc3339(event.date))
            // The failure mail's and hook's tail.
            output?.noteJournaled(OutputLine(slot: request.slot, run: request.run, stream: .stdout, bytes: bytes))
        }
    }

    /// An instant as RFC 3339 with milliseconds (CloudWatch's resolution), as `CRON_OUTPUT_TIMESTAMP`.
    static func rfc3339(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true))
    }
}
