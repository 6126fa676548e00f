public import Foundation

/// Writes a run's output to the journal, one entry per line, tagged with the run's fields so that
/// `journalctl CRON_JOB=nightly-report` shows the job's own output.
///
/// Each entry has `MESSAGE` (the line's bytes exactly, without the newline: invalid UTF-8 and NUL
/// bytes pass through), `PRIORITY` (6 for stdout, 3 for stderr), `CRON_STREAM`, the run's
/// `CRON_JOB`, `CRON_RUN_ID`, `CRON_SCHEDULED_AT`, `K8S_NAMESPACE`, `K8S_JOB`, `K8S_POD`,
/// `K8S_CONTAINER` (or, for an ECS task, `ECS_TASK_ARN` and `ECS_CONTAINER`) as far as known, and
/// `CRON_OUTPUT_TIMESTAMP` when the log gave the line's time.
public struct JobOutputSink: Sendable {
    /// Which of the container's streams a line came from.
    public enum Stream: String, Sendable, CaseIterable {
        case stdout, stderr

        var priority: String { self == .stdout ? "6" : "3" }
    }

    /// The run the output belongs to.
    public struct Run: Sendable {
        /// `CRON_JOB`, also the entries' `SYSLOG_IDENTIFIER`.
        public var job: String
        /// `CRON_RUN_ID`.
        public var runID: String
        /// `CRON_SCHEDULED_AT`.
        public var scheduledAt: Date
        /// `K8S_NAMESPACE`, when the run is a Kubernetes Job.
        public var namespace: String?
        /// `K8S_JOB`.
        public var kubernetesJob: String?
        /// `K8S_POD`, once the pod is known.
        public var pod: String?
        /// `ECS_TASK_ARN`, when the run is an ECS task.
        public var ecsTaskARN: String?
        /// `ECS_CONTAINER`, the task's container the output came from.
        public var ecsContainer: String?
        /// `K8S_CONTAINER`: which of the pod's containers wrote the output (a pod's every container,
        /// init containers and sidecars too, has its own output).
        public var container: String?

        /// The run's identity; the Kubernetes names as far as known.
        public init(
            job: String, runID: String, scheduledAt: Date, namespace: String? = nil, kubernetesJob: String? = nil,
            pod: String? = nil, container: String? = nil
        ) {
            self.job = job
            self.runID = runID
            self.scheduledAt = scheduledAt
            self.namespace = namespace
            self.kubernetesJob = kubernetesJob
            self.pod = pod
            self.container = container
        }

        /// An ECS task's identity.
        public init(job: String, runID: String, scheduledAt: Date, ecsTaskARN: String, ecsContainer: String) {
            self.init(job: job, runID: runID, scheduledAt: scheduledAt)
            self.ecsTaskARN = ecsTaskARN
            self.ecsContainer = ecsContainer
        }
    }

    /// Lines longer than this are written as several entries (each piece but the last marked
    /// `CRON_LINE_CONTINUES=1`). Somewhat arbitrarily 4 MiB: far above any sane log line, far below
    /// journald's 768 MiB entry limit.
    public let maximumLineLength: Int
    private let writer: EntryWriter
    /// The run's fields, built once and copied into every entry.
    private let runFields: JournalEntry

    /// - Parameters:
    ///   - run: whose output this is.
    ///   - writer: where the entries go (it falls back to standard error if the journal refuses one).
    ///   - maximumLineLength: the longest line written as one entry, in bytes.
    public init(run: Run, writer: EntryWriter, maximumLineLength: Int = 4 << 20) {
        precondition(maximumLineLength > 0, "maximumLineLength must be positive")
        self.writer = writer
        self.maximumLineLength = maximumLineLength
        var fields = JournalEntry()
        fields.append(JournalField.syslogIdentifier, run.job)
        fields.append(JournalField.cronJob, run.job)
        fields.append(JournalField.cronRunID, run.runID)
        fields.append(JournalField.cronScheduledAt, RunEvent.timestamp(run.scheduledAt))
        if let namespace = run.namespace { fields.append(JournalField.k8sNamespace, namespace) }
        if let kubernetesJob = run.kubernetesJob { fields.append(JournalField.k8sJob, kubernetesJob) }
        if let pod = run.pod { fields.append(JournalField.k8sPod, pod) }
        if let task = run.ecsTaskARN { fields.append(JournalField.ecsTaskARN, task) }
        if let container = run.ecsContainer { fields.append(JournalField.ecsContainer, container) }
        if let container = run.container { fields.append(JournalField.k8sContainer, container) }
        runFields = fields
    }

    /// Writes one line (without its newline) as one journal entry, or several if it is longer
    /// than ``maximumLineLength``.
    /// - Parameters:
    ///   - line: the line's bytes, any bytes.
    ///   - stream: stdout or stderr.
    ///   - timestamp: when the container wrote it, as the pod log said (RFC 3339), if known.
    public func write(line: some Collection<UInt8>, stream: Stream, timestamp: String? = nil) {
        var start = line.startIndex
        repeat {
            let end = line.index(start, offsetBy: maximumLineLength, limitedBy: line.endIndex) ?? line.endIndex
            var entry = runFields
            entry.append(JournalField.message, bytes: line[start..<end])
            entry.append(JournalField.priority, stream.priority)
            entry.append(JournalField.cronStream, stream.rawValue)
            if let timestamp { entry.append(JournalField.cronOutputTimestamp, timestamp) }
            if end != line.endIndex { entry.append(JournalField.cronLineContinues, "1") }
            writer.write(entry)
            start = end
        } while start != line.endIndex
    }
}
