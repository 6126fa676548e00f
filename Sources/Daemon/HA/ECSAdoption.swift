import ECSExecutor
import Foundation
import Ledger
import Logging
import RunModel
import Scheduler

/// A new leader's step for its `ecs` jobs, beside ``ClusterAdoption``: each task ECS reports
/// running that this host's ledger does not know (another host started it) is recorded as a started
/// run, so that the term's scheduler follows it to its end (its output, outcome and cost) and never
/// starts its slot.
struct ECSAdoption: Sendable {
    let executor: ECSExecutor
    let jobs: ECSJobTable
    let ledger: RunLedger
    let thread: LedgerThread
    let clock: any WallClock
    let logger: Logger

    /// Asks ECS and records what it finds.
    /// - Returns: how many runs were recorded.
    /// - Throws: `ECSError` when ECS cannot be asked (nothing is recorded then, and the caller tries
    ///   again), ``LedgerError`` when the ledger cannot be written.
    func adopt() async throws -> Int {
        var recorded = 0
        for task in try await executor.runningTasks(of: jobs.names) where try await record(task) {
            recorded += 1
        }
        return recorded
    }

    /// Records one task's run as started; false when its slot is already on record here.
    private func record(_ task: OwnedTask) async throws -> Bool {
        let ledger = self.ledger, now = clock.now()
        let policy = jobs.settings(of: task.slot.job)?.concurrency ?? .allow
        let run: Run
        do {
            run = try await thread.run { () throws(LedgerError) in
                do throws(LedgerError) {
                    return try ledger.recordIntent(for: task.slot, policy: policy, trigger: task.trigger, at: now)
                } catch {
                    guard case .jobHasActiveRun = error else { throw error }
                    // ECS's view wins, as the cluster's does in ClusterAdoption: recorded outside the
                    // no-overlap index rather than not at all.
                    return try ledger.recordIntent(for: task.slot, policy: .allow, trigger: task.trigger, at: now)
                }
            }
        } catch {
            guard case .slotAlreadyRecorded = error else { throw error }
            return false
        }
        _ = try await thread.run { () throws(LedgerError) in
            try ledger.record(.started(RunHandle(executor: .ecs, reference: task.taskARN)), for: run.id, at: task.createdAt ?? now)
        }
        logger.info(
            "adopted the ECS task \(task.taskARN) that another host started: it is followed to its end",
            metadata: ["CRON_JOB": "\(task.slot.job)", "CRON_RUN_ID": "\(run.id)", "ECS_TASK_ARN": "\(task.taskARN)"])
        return true
    }
}
