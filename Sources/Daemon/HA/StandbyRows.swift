import Foundation
import Ledger
import Scheduler

// Apart from StandbyStatus.swift, which imports Kubernetes: both modules define a `JobStatus`.

/// Each job's status as a host that stands by knows it: the next fire time from its schedule, the
/// active and last runs from this host's own ledger.
func standbyRows(of jobs: [ScheduledJob], at now: Date, ledger: RunLedger) throws(LedgerError) -> [JobStatus] {
    let active = try ledger.activeRuns()
    return try jobs.sorted { $0.name < $1.name }.map { job throws(LedgerError) in
        JobStatus(
            name: job.name, schedule: job.schedule.description, zone: job.zone.identifier,
            nextFireDate: job.schedule.nextFireDate(after: now, in: job.zone), isSuspended: job.isSuspended,
            concurrency: job.concurrency, executor: job.executor,
            activeRuns: active.filter { $0.job == job.name }.map(\.id),
            lastRun: try ledger.lastRun(of: job.name).map(RunRecord.init))
    }
}
