import Scheduler

/// What a reload hands its jobs to: the scheduler, or, with several hosts, whatever term of
/// leadership runs now (``Terms``), which keeps them for the next term when this host stands by.
protocol JobReloading: Sendable {
    /// Replaces the jobs; runs already going keep going.
    func reload(_ jobs: [ScheduledJob]) async -> ReloadDiff
}

extension Scheduler: JobReloading {}
