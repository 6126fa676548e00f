public import Foundation
public import Logging

/// Something that happened to a run or to the schedules, logged with a fixed `MESSAGE_ID` so that
/// `journalctl MESSAGE_ID=…` finds every such event and `journalctl -x` explains it from
/// `systemd/fargate-cron.catalog`.
///
/// Log it with ``Logging/Logger/log(_:file:function:line:)``; its fields become journal fields.
public struct RunEvent: Sendable {
    /// The kinds of event, each with its fixed 128-bit id (generated once with
    /// `journalctl --new-id128`; never change one, users filter on them).
    public enum Kind: String, CaseIterable, Sendable {
        case started, succeeded, failed, cancelled, skipped, missed, replaced, stuckPending, podCollected, lost
        // Alerting (#17): CRON_ALERT_AFTER, and a failure mail or hook that did not go through.
        case overdue, recovered, mailFailed, hookFailed
        case scheduleReloaded, scheduleRejected
        /// With several hosts (`--lease`): this host became the leader, or stopped leading.
        case leadershipAcquired, leadershipLost
        /// A run's pod was not placed by Fargate (an EC2 node, no `CapacityProvisioned`).
        case notOnFargate

        /// The `MESSAGE_ID` of this kind, 32 lower-case hex digits.
        public var messageID: String {
            switch self {
            case .started: "5cc1279058e44762bcde3840aad8f784"
            case .succeeded: "07237fee57c64efea7ce88a7b3d444df"
            case .failed: "7bbc90644a1f4dd1854fa021e5494049"
            case .cancelled: "96afdd9c5c3f48a385483111e1d0a120"
            case .skipped: "b938ec126b874f19b198445a0bfda989"
            case .missed: "b494e3c33e934b47bcbe9e0d0836b667"
            case .replaced: "91ba6b7f2a4e41eba0084ec0b63813e7"
            case .stuckPending: "75e69539f5da4c019d1b8a18365a4152"
            case .podCollected: "48a587cd6d4a430db228b82b87fff0eb"
            case .lost: "899b6eea7e6f46a1b0d811d90f325342"
            case .overdue: "7605382783c4403ca75f821652ca5495"
            case .recovered: "f4756d8ef7714a4ebac18fa757be3dda"
            case .mailFailed: "e7d3c5a1dc684b2a8522db627f8c04a9"
            case .hookFailed: "bc3d55d50ce44b3fb4a02a37d555d146"
            case .scheduleReloaded: "da6f3a731ee1461fbadcbda05ec7613a"
            case .scheduleRejected: "f4a606f4d04746c4965af2d4628d675b"
            case .leadershipAcquired: "c3d3f66bd4df47009f5db9b0d07d67f3"
            case .leadershipLost: "df7c22d99b174935beb0d45529fbc91d"
            case .notOnFargate: "91021071f8a9481396b84f7e9fdebd87"
            }
        }

        /// How loud the event is in the journal.
        public var level: Logger.Level {
            switch self {
            case .started, .succeeded, .podCollected, .scheduleReloaded: .info
            case .leadershipAcquired, .leadershipLost: .notice
            case .skipped, .replaced, .cancelled: .notice
            case .missed, .stuckPending, .notOnFargate: .warning
            case .failed, .lost, .scheduleRejected, .overdue: .error
            case .recovered: .notice
            case .mailFailed, .hookFailed: .warning
            }
        }
    }

    /// What happened.
    public var kind: Kind
    /// The job's name; `nil` for events about schedule files.
    public var job: String?
    /// The run's id in the ledger (`CRON_RUN_ID`).
    public var runID: String?
    /// The slot the run belongs to (`CRON_SCHEDULED_AT`).
    public var scheduledAt: Date?
    /// The Kubernetes namespace (`K8S_NAMESPACE`).
    public var namespace: String?
    /// The Kubernetes Job's name.
    public var kubernetesJob: String?
    /// The pod's name (`K8S_POD`).
    public var pod: String?
    /// The container's exit code (`EXIT_CODE`).
    public var exitCode: Int32?
    /// The Fargate capacity the pod got, such as `0.25vCPU 0.5GB`.
    public var fargateCapacity: String?
    /// Why, in a few words: the failure reason, what a skipped run waited for, the parse error.
    public var reason: String?
    /// The schedule file, for ``Kind/scheduleReloaded`` and ``Kind/scheduleRejected``.
    public var scheduleFile: String?
    /// The Lease elected on, `NAMESPACE/NAME`, for the leadership events.
    public var lease: String?
    /// The Lease's holder (`holderIdentity`) after a leadership event, when known.
    public var leader: String?

    /// An event of `kind`; give every field that is known, the others stay out of the entry.
    public init(
        _ kind: Kind, job: String? = nil, runID: String? = nil, scheduledAt: Date? = nil, namespace: String? = nil,
        kubernetesJob: String? = nil, pod: String? = nil, exitCode: Int32? = nil, fargateCapacity: String? = nil,
        reason: String? = nil, scheduleFile: String? = nil, lease: String? = nil, leader: String? = nil
    ) {
        self.kind = kind
        self.job = job
        self.runID = runID
        self.scheduledAt = scheduledAt
        self.namespace = namespace
        self.kubernetesJob = kubernetesJob
        self.pod = pod
        self.exitCode = exitCode
        self.fargateCapacity = fargateCapacity
        self.reason = reason
        self.scheduleFile = scheduleFile
        self.lease = lease
        self.leader = leader
    }

    /// The one-line human message (`MESSAGE`).
    public var message: String {
        let job = self.job ?? "?"
        let slot = scheduledAt.map { " scheduled at \(Self.timestamp($0))" } ?? ""
        let because = reason.map { ": \($0)" } ?? ""
        switch kind {
        case .started: return "Started run \(runID ?? "?") of \(job)\(slot)"
        case .succeeded: return "Run \(runID ?? "?") of \(job) succeeded"
        case .failed:
            return "Run \(runID ?? "?") of \(job) failed" + (exitCode.map { " with exit code \($0)" } ?? "") + because
        case .cancelled: return "Run \(runID ?? "?") of \(job) was cancelled\(because)"
        case .skipped: return "Skipped \(job)\(slot): the previous run is still active\(because)"
        case .missed: return "Missed \(job)\(slot): past its starting deadline\(because)"
        case .replaced: return "Replaced the active run of \(job) with run \(runID ?? "?")\(slot)"
        case .stuckPending: return "Run \(runID ?? "?") of \(job) is stuck pending\(because)"
        case .lost: return "Run \(runID ?? "?") of \(job)\(slot) was lost\(because)"
        case .overdue: return "\(job) is overdue\(because)"
        case .recovered: return "\(job) succeeded again and is no longer overdue\(because)"
        case .mailFailed: return "Could not mail about \(job)" + (runID.map { " (run \($0))" } ?? "") + because
        case .hookFailed: return "The failure hook of \(job) failed" + (runID.map { " (run \($0))" } ?? "") + because
        case .podCollected: return "Deleted finished pod \(pod ?? "?")" + (self.job.map { " of \($0)" } ?? "") + because
        case .scheduleReloaded: return "Reloaded schedules" + (scheduleFile.map { " from \($0)" } ?? "") + because
        case .scheduleRejected: return "Rejected schedule file \(scheduleFile ?? "?")\(because)"
        case .leadershipAcquired: return "Became the leader on Lease \(lease ?? "?")\(because)"
        case .leadershipLost: return "Stopped leading on Lease \(lease ?? "?")\(because)"
        case .notOnFargate: return "Run \(runID ?? "?") of \(job) ran its pod \(pod ?? "?") outside Fargate\(because)"
        }
    }

    /// The event's fields, keyed by journal field name, `MESSAGE_ID` included.
    public var metadata: Logger.Metadata {
        var fields: Logger.Metadata = [JournalField.messageID: .string(kind.messageID)]
        func set(_ name: String, _ value: String?) { if let value { fields[name] = .string(value) } }
        set(JournalField.cronJob, job)
        set(JournalField.cronRunID, runID)
        set(JournalField.cronScheduledAt, scheduledAt.map(Self.timestamp))
        set(JournalField.k8sNamespace, namespace)
        set(JournalField.k8sJob, kubernetesJob)
        set(JournalField.k8sPod, pod)
        set(JournalField.exitCode, exitCode.map { String($0) })
        set(JournalField.fargateCapacity, fargateCapacity)
        set(JournalField.cronReason, reason)
        set(JournalField.cronScheduleFile, scheduleFile)
        set(JournalField.cronLease, lease)
        set(JournalField.cronLeader, leader)
        return fields
    }

    /// ISO 8601 in UTC with seconds, as `CRON_SCHEDULED_AT` carries it.
    static func timestamp(_ date: Date) -> String {
        // GMT, not TimeZone(identifier: "UTC"): a named zone needs FoundationInternationalization's
        // ICU data, which a statically linked tool that never names a zone (output-probe) leaves out.
        date.formatted(Date.ISO8601FormatStyle(timeZone: .gmt))
    }
}

extension Logger {
    /// Logs `event` at its kind's level, with its fields as metadata (the journal fields of
    /// ``RunEvent/metadata``).
    public func log(_ event: RunEvent, file: String = #fileID, function: String = #function, line: UInt = #line) {
        log(level: event.kind.level, "\(event.message)", metadata: event.metadata, file: file, function: function, line: line)
    }
}
