import Foundation
public import RunModel
public import Scheduler
public import Schedules

extension ScheduledJob {
    /// The scheduler's view of a job from a schedule file: the same vocabulary (`RunModel`), so
    /// nothing is mapped or defaulted here.
    public init(_ spec: JobSpec) {
        self.init(
            name: spec.name.rawValue, schedule: spec.schedule, zone: spec.timeZone, concurrency: spec.concurrency,
            startingDeadline: spec.startingDeadline, catchUp: spec.catchUp, isSuspended: spec.isSuspended,
            timeout: spec.timeout, retries: spec.retries, executor: spec.executor, command: spec.command,
            environment: Dictionary(spec.environment.map { ($0.name, $0.value) }, uniquingKeysWith: { _, later in later }))
    }
}

extension ScheduledJob {
    /// The scheduler's view of the jobs from the schedule files, in order. Each job written under
    /// the same settings as the one before shares its settings instance (see `sharingSettings(with:)`).
    public static func jobs(from specs: [JobSpec]) -> [ScheduledJob] {
        var jobs: [ScheduledJob] = []
        jobs.reserveCapacity(specs.count)
        for spec in specs {
            let job = ScheduledJob(spec)
            jobs.append(jobs.last.map { job.sharingSettings(with: $0) } ?? job)
        }
        return jobs
    }
}
