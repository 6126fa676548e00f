import Foundation
public import RunModel
public import Scheduler

/// Everything the executor learnt about one run, handed to ``KubernetesExecutor``'s `onReport` once the
/// run ended and its pods were deleted: what the ledger's run row and `history` show beyond the outcome.
public struct RunReport: Hashable, Sendable {
    /// The slot.
    public var slot: Slot
    /// The run store's id.
    public var run: RunID
    /// The Job's namespace and name.
    public var namespace: String
    public var jobName: String
    /// The Job's uid.
    public var jobUID: String?
    /// Each pod the run had, in creation order (more than one when the Job retried).
    public var pods: [PodTimeline]
    /// The verdict (carries the failure kind: the job's own or the platform's).
    public var verdict: RunVerdict
    /// The bill of each pod that was deleted and whose size is known.
    public var costs: [FargateCost]
    /// How many output lines reached the journal.
    public var linesWritten: Int
    /// Where the last pod ran: on Fargate, elsewhere (with the warning given), or not known.
    public var placement: FargatePlacement = .unknown
    /// What kept the run from starting, when it failed for it (the verdict is then ``FailureKind/cannotStart``).
    public var startBlocker: StartBlocker.Cause? = nil
}
