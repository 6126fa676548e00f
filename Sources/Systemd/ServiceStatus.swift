public import Foundation

/// The one-line summary the daemon sends as `STATUS=` (shown by `systemctl status`):
/// `3 jobs loaded, 1 run active, next: nightly-report at 2026-11-30T03:30:00Z`.
public struct ServiceStatus: Hashable, Sendable, CustomStringConvertible {
    /// Jobs in the valid schedule files.
    public var jobsLoaded: Int
    /// Runs started and not yet finished.
    public var runsActive: Int
    /// The next job to fire and when, if any job is scheduled.
    public var next: (job: String, at: Date)?

    /// A summary with these counts and the next fire time.
    public init(jobsLoaded: Int, runsActive: Int, next: (job: String, at: Date)? = nil) {
        self.jobsLoaded = jobsLoaded
        self.runsActive = runsActive
        self.next = next
    }

    public var description: String {
        let jobs = jobsLoaded == 1 ? "1 job loaded" : "\(jobsLoaded) jobs loaded"
        let runs = runsActive == 1 ? "1 run active" : "\(runsActive) runs active"
        let upcoming = next.map { "next: \($0.job) at \(RunEvent.timestamp($0.at))" } ?? "next: none"
        return "\(jobs), \(runs), \(upcoming)"
    }

    public static func == (lhs: ServiceStatus, rhs: ServiceStatus) -> Bool {
        lhs.jobsLoaded == rhs.jobsLoaded && lhs.runsActive == rhs.runsActive && lhs.next?.job == rhs.next?.job
            && lhs.next?.at == rhs.next?.at
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(jobsLoaded)
        hasher.combine(runsActive)
        hasher.combine(next?.job)
        hasher.combine(next?.at)
    }
}
