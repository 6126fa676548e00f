public import RunModel
public import ECS
public import FargateExecutor
import Foundation
public import Scheduler

/// Everything the executor learnt about one ECS run, handed to ``ECSExecutor``'s `onReport` once the
/// run ended and its output was read: what the ledger's run row and `history` show beyond the outcome.
public struct ECSRunReport: Hashable, Sendable {
    /// The slot.
    public var slot: Slot
    /// The run store's id.
    public var run: RunID
    /// The cluster's name or ARN.
    public var cluster: String
    /// The task's ARN.
    public var taskARN: String
    /// The container whose exit code is the run's.
    public var container: String
    /// The task as ECS last described it (status, exit code, `stoppedReason`, `stopCode`, times).
    public var task: ECSTask?
    /// How the run ended.
    public var outcome: RunOutcome
    /// The bill: the task's size and its billed time, from `pullStartedAt` to `stoppedAt`; `nil`
    /// when the task never began pulling its image (Fargate bills nothing then).
    public var cost: FargateCost?
    /// How many output lines reached the journal (or the output sink).
    public var linesWritten: Int
    /// Whose the failure was, when the run failed.
    public var failureCause: ECSFailureCause?

    /// The cost of a stopped task, with Fargate's rounding, priced with `rates` when they are known.
    /// FARGATE_SPOT tasks are priced at the same rates (an upper bound: Spot costs less).
    public static func cost(of task: ECSTask, rates: FargateRates?) -> FargateCost? {
        guard let start = task.pullStartedAt, let end = task.stoppedAt ?? task.executionStoppedAt,
            let cpu = task.cpu.flatMap(Double.init), let memory = task.memory.flatMap(Double.init)
        else { return nil }
        return FargateCost(
            capacity: FargateCapacity(vCPU: cpu / 1024, memoryGB: memory / 1024), seconds: end.timeIntervalSince(start),
            rates: rates)
    }
}
