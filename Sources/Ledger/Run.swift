public import Foundation
public import RunModel

/// One run of a job as the ledger records it.
public struct Run: Hashable, Sendable, Identifiable {
    public var id: RunID
    public var slot: Slot
    public var trigger: Trigger
    /// The concurrency policy the run was recorded under.
    public var policy: ConcurrencyPolicy
    public var state: RunState
    /// When the intent (or, for a slot that never ran, the outcome) was written.
    public var recordedAt: Date
    /// When the executor started the run (`started`): the Kubernetes Job was created, the process
    /// spawned, the ECS task run.
    public var createdAt: Date?
    /// When the pod was first seen running, or, once the executor reported, when its container
    /// started. `nil` for a `local` run, which is never seen running apart from its start.
    public var runningAt: Date?
    /// When the run reached a terminal state.
    public var finishedAt: Date?
    /// Which executor started the run and what finds it again (its reference, and the uid of the
    /// object it names when the executor has one); `nil` until the run started.
    public var handle: RunHandle?
    public var pod: String?
    /// Fargate's `CapacityProvisioned` annotation of the pod, e.g. `0.25vCPU 0.5GB`.
    public var capacity: String?
    public var exitCode: Int32?
    /// Why the run failed, was cancelled, replaced, skipped or missed, in words.
    public var reason: String?
    /// For a skipped slot: the run that was active and blocked it.
    public var blockedBy: RunID?
    /// The Fargate billed duration, once known (of all the run's pods together).
    public var billedDuration: Duration?
    /// The node the last pod ran on.
    public var node: String?
    /// How many pods the run had (more than one when the Job retried), once reported.
    public var podCount: Int?
    /// When the last pod was created.
    public var podCreatedAt: Date?
    /// When the last pod was scheduled to its node (Fargate's billing starts here).
    public var podScheduledAt: Date?
    /// When the last pod's container ended.
    public var podFinishedAt: Date?
    /// When the last pod was deleted (Fargate's billing ends here).
    public var podDeletedAt: Date?
    /// The estimated price of the run's pods, when the rates were known.
    public var estimatedPrice: EstimatedPrice?
    /// Why the run failed, as the executor classified it (its ``FailureCause/origin`` tells whether
    /// the job or the platform failed).
    public var failureCause: FailureCause?
    /// How many lines of the run's output reached the journal, once reported.
    public var outputLines: Int?
    /// When the executor's report (``PodReport``) was first recorded; `nil` until then.
    public var reportedAt: Date?
    /// The host that started the run (schema v4; `nil` before, or when the daemon named no host).
    /// With several hosts, a run adopted from another leader names that leader.
    public var startedBy: String?
    /// The host that recorded how the run ended (or that the slot never ran).
    public var finishedBy: String?
    /// Whether the last pod ran on Fargate, once reported (`nil` when not known: a `local` run, a
    /// pod never placed, a run recorded before schema v5).
    public var placement: Placement?
    /// Why the pod is known not to have run on Fargate, in words.
    public var placementNote: String?
    /// What kept the run from starting, when it failed for it.
    public var startFailure: StartFailure?

    public var job: String { slot.job }
    public var scheduledAt: Date { slot.scheduledAt }
}

/// A transition of a run, with what the ledger learns at that moment.
public enum RunEvent: Hashable, Sendable {
    /// The executor started the run (a Kubernetes Job created, or found already existing after a
    /// crash; a process spawned; an ECS task run), and this finds it again.
    case started(RunHandle)
    /// The pod was seen running, on a Fargate node of the given capacity.
    case running(pod: String, capacity: String?)
    case succeeded
    case failed(exitCode: Int32?, reason: String)
    case cancelled(reason: String)
    /// Stopped by a newer run under the `replace` policy.
    case replaced(by: RunID?)
    /// An intended run found too late to start (the daemon was down past the starting deadline).
    case missed(reason: String)

    /// The state the run is in after this event.
    public var resultingState: RunState {
        switch self {
        case .started: .started
        case .running: .running
        case .succeeded: .succeeded
        case .failed: .failed
        case .cancelled: .cancelled
        case .replaced: .replaced
        case .missed: .missed
        }
    }
}

/// What became of a slot that never ran.
public enum NeverRanOutcome: Hashable, Sendable {
    /// Another run of the job was active (the `forbid` policy).
    case skipped(blockedBy: RunID)
    /// The daemon was down past the starting deadline.
    case missed(reason: String)
    /// The job was suspended.
    case suspended

    var state: RunState {
        switch self {
        case .skipped: .skipped
        case .missed: .missed
        case .suspended: .suspended
        }
    }
}
