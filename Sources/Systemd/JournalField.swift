/// The names of the journal fields fargate-cron writes: the wire names, in one place.
///
/// Users type these after `journalctl` (`journalctl CRON_JOB=nightly-report`), so they are a
/// contract (DESIGN.md, "systemd and the journal").
public enum JournalField {
    // Fields every journal entry has a meaning for (systemd.journal-fields(7)).
    /// The human-readable text.
    public static let message = "MESSAGE"
    /// The 128-bit id of the kind of event (see ``RunEvent/Kind/messageID``).
    public static let messageID = "MESSAGE_ID"
    /// Syslog priority, 0 (emerg) to 7 (debug).
    public static let priority = "PRIORITY"
    /// The program's name (`journalctl -t`).
    public static let syslogIdentifier = "SYSLOG_IDENTIFIER"
    /// The source file of the log call.
    public static let codeFile = "CODE_FILE"
    /// The source line of the log call.
    public static let codeLine = "CODE_LINE"
    /// The function of the log call.
    public static let codeFunction = "CODE_FUNC"

    // fargate-cron's own fields.
    /// The job's name from its schedule file.
    public static let cronJob = "CRON_JOB"
    /// The run's id in the ledger.
    public static let cronRunID = "CRON_RUN_ID"
    /// The slot the run belongs to, ISO 8601 with offset.
    public static let cronScheduledAt = "CRON_SCHEDULED_AT"
    /// `stdout` or `stderr`, on each line of a run's output.
    public static let cronStream = "CRON_STREAM"
    /// The time the container wrote the line, as the pod log reported it (RFC 3339).
    public static let cronOutputTimestamp = "CRON_OUTPUT_TIMESTAMP"
    /// Why a run was skipped, failed or rejected, in a few words.
    public static let cronReason = "CRON_REASON"
    /// The schedule file an event is about.
    public static let cronScheduleFile = "CRON_SCHEDULE_FILE"
    /// `1` on each piece of an over-long output line but the last (the line goes on in the next entry).
    public static let cronLineContinues = "CRON_LINE_CONTINUES"
    /// The Lease several hosts elect their leader on, `NAMESPACE/NAME` (leadership events).
    public static let cronLease = "CRON_LEASE"
    /// The Lease's holder after a leadership event: `HOST_PID_NONCE`.
    public static let cronLeader = "CRON_LEADER"
    /// The Kubernetes namespace the run's Job is in.
    public static let k8sNamespace = "K8S_NAMESPACE"
    /// The Kubernetes Job's name.
    public static let k8sJob = "K8S_JOB"
    /// The pod's name.
    public static let k8sPod = "K8S_POD"
    /// The ECS task's ARN, on each line of an ecs run's output.
    public static let ecsTaskARN = "ECS_TASK_ARN"
    /// The name of the ECS container the line came from.
    public static let ecsContainer = "ECS_CONTAINER"
    /// The container a line of output came from (init containers and sidecars too).
    public static let k8sContainer = "K8S_CONTAINER"
    /// The container's exit code.
    public static let exitCode = "EXIT_CODE"
    /// The Fargate capacity the pod ran on (from its `CapacityProvisioned` annotation).
    public static let fargateCapacity = "FARGATE_CAPACITY"

    /// The daemon that wrote the entry: its state folder's absolute path, so that two daemons on
    /// one host never mix in `fargate-cron logs --state-dir` (#17).
    public static let cronInstance = "CRON_INSTANCE"

    /// The longest field name journald accepts.
    public static let maximumNameLength = 64

    /// Maps any key (a swift-log metadata key such as `cron.job` or `k8s-pod`) to a valid journal
    /// field name: ASCII letters upper-cased, every other character `_`, no leading `_` or digit
    /// (journald reserves `_` for trusted fields and rejects a leading digit), at most 64 bytes.
    ///
    /// Returns `nil` for a key with no letter or digit at all, which cannot name a field.
    public static func name(forKey key: String) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(key.utf8.count)
        for byte in key.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                bytes.append(byte)
            case UInt8(ascii: "a")...UInt8(ascii: "z"):
                bytes.append(byte - 32)
            default:
                bytes.append(UInt8(ascii: "_"))
            }
        }
        // A leading `_` would claim a trusted field (journald drops those from clients).
        while bytes.first == UInt8(ascii: "_") { bytes.removeFirst() }
        guard let first = bytes.first else { return nil }
        if first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9") {
            bytes.insert(contentsOf: Array("F_".utf8), at: 0)
        }
        if bytes.count > maximumNameLength { bytes.removeLast(bytes.count - maximumNameLength) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Whether `name` is a field name a client may send: 1-64 bytes of `A-Z`, `0-9`, `_`, not
    /// starting with `_` or a digit.
    public static func isValidName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, bytes.count <= maximumNameLength else { return false }
        guard first != UInt8(ascii: "_") && !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else {
            return false
        }
        return bytes.allSatisfy {
            (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
                || $0 == UInt8(ascii: "_")
        }
    }
}
