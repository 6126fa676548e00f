import ECS
import ECSExecutor
import FargateExecutor
import Foundation
import Ledger
import RunModel
import Scheduler

extension RunLedger {
    /// Records what the ecs executor reported of a run once it ended (call it from ``ECSExecutor``'s
    /// `onReport`): its task's size, times and bill, whose a failure was, and its output lines.
    /// Idempotent, and allowed whether or not the run's outcome is recorded yet.
    /// - Throws: ``LedgerError``, as ``RunLedger/recordReport(_:for:at:)`` does.
    @discardableResult
    func record(_ report: ECSRunReport, at now: Date) throws(LedgerError) -> Run {
        try recordReport(PodReport(report), for: report.run, at: now)
    }
}

extension PodReport {
    /// The ledger's view of an ECS run: a task is the run's one "pod" (no pod name, no node), its size
    /// as Fargate states it, created at `createdAt`, pulling from `pullStartedAt` (where Fargate's bill
    /// starts), running from `startedAt`, stopped at `executionStoppedAt`, gone at `stoppedAt`.
    init(_ report: ECSRunReport) {
        let task = report.task
        var failure: FailureCause?
        if case .failed(_, _) = report.outcome { failure = report.failureCause.map(FailureCause.init) }
        self.init(
            podCount: task == nil ? 0 : 1, capacity: report.cost?.capacity.description,
            podCreatedAt: task?.createdAt, podScheduledAt: task?.pullStartedAt, runningAt: task?.startedAt,
            podFinishedAt: task?.executionStoppedAt, podDeletedAt: task?.stoppedAt,
            billedDuration: report.cost.map { .seconds($0.billedSeconds) },
            estimatedPrice: report.cost?.estimatedPrice.flatMap { EstimatedPrice(dollars: $0) }, failure: failure,
            outputLines: report.linesWritten)
    }
}

extension FailureCause {
    /// The ledger's name for the ecs executor's classification of a failure.
    init(_ cause: ECSFailureCause) {
        switch cause {
        case .exitStatus: self = .exitStatus
        case .outOfMemory: self = .outOfMemory
        case .timedOut: self = .deadlineExceeded
        case .stuckStarting: self = .pendingTimeout
        case .platform: self = .evicted
        }
    }
}
