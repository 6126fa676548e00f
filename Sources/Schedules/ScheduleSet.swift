import Foundation
public import RunModel

/// The jobs that are loaded, grouped by the file each came from.
public struct ScheduleSet: Hashable, Sendable {
    /// Each file's jobs in file order, by the file's path.
    public private(set) var jobsByFile: [String: [JobSpec]]

    /// An empty set: what the daemon starts from.
    public init() { jobsByFile = [:] }

    init(jobsByFile: [String: [JobSpec]]) { self.jobsByFile = jobsByFile }

    /// Every job, files in path order, each file's jobs in file order.
    public var jobs: [JobSpec] { jobsByFile.keys.sorted().flatMap { jobsByFile[$0]! } }

    /// How many jobs are loaded.
    public var jobCount: Int { jobsByFile.values.reduce(0) { $0 + $1.count } }

    /// The paths of the files that have jobs loaded, sorted.
    public var files: [String] { jobsByFile.keys.sorted() }

    /// The job with this name, if one is loaded.
    public func job(named name: JobName) -> JobSpec? {
        for jobs in jobsByFile.values { if let job = jobs.first(where: { $0.name == name }) { return job } }
        return nil
    }
}

/// What a reload changes, by job name (a job's identity is its name).
///
/// A renamed file moves its jobs: they show as changed in `sourceFile`, not as removed and added. A
/// renamed job is one removed and one added. Moving a job to another line is not a change.
///
/// Nothing in a diff makes a job fire at once. For an added job, or a changed job whose `schedule` or
/// `timeZone` changed, the scheduler takes the first fire time strictly after the reload; catching up
/// on missed slots (`catchUp`) applies only to slots a job missed while the daemon was down, counted
/// from the job's last run in the ledger, never to slots "missed" before the job or its schedule existed.
public struct ScheduleDiff: Hashable, Sendable {
    /// Jobs that were not loaded before, by name.
    public var added: [JobSpec] = []
    /// Jobs that are no longer loaded (their file was removed, or they were deleted from it).
    public var removed: [JobSpec] = []
    /// Jobs whose definition changed, with which fields.
    public var changed: [JobChange] = []

    /// Whether the reload changed nothing.
    public var isEmpty: Bool { added.isEmpty && removed.isEmpty && changed.isEmpty }
}

/// One job's old and new definitions and the fields that differ.
public struct JobChange: Hashable, Sendable {
    public var old: JobSpec
    public var new: JobSpec
    /// The fields that differ, in declaration order.
    public var fields: [JobSpec.Field]
}

extension JobSpec {
    /// The fields of a job that a reload compares. `location`'s line and column are not among them.
    public enum Field: String, Hashable, Sendable, CaseIterable, Codable {
        case schedule, timeZone, command, environment, executor, namespace, image, cpu, memory, template
        case serviceAccount, concurrency, startingDeadline, catchUp, timeout, retries, keepSucceeded, keepFailed
        case podTTL, pendingTimeout, isSuspended, labels, annotations, sourceFile
    }

    /// The fields in which `other` differs from this job.
    public func fields(differingFrom other: JobSpec) -> [Field] {
        Field.allCases.filter { field in
            switch field {
            case .schedule: self.schedule != other.schedule
            case .timeZone: self.timeZone.identifier != other.timeZone.identifier
            case .command: self.command != other.command
            case .environment: self.environment != other.environment
            case .executor: self.executor != other.executor
            case .namespace: self.namespace != other.namespace
            case .image: self.image != other.image
            case .cpu: self.cpu != other.cpu
            case .memory: self.memory != other.memory
            case .template: self.template != other.template
            case .serviceAccount: self.serviceAccount != other.serviceAccount
            case .concurrency: self.concurrency != other.concurrency
            case .startingDeadline: self.startingDeadline != other.startingDeadline
            case .catchUp: self.catchUp != other.catchUp
            case .timeout: self.timeout != other.timeout
            case .retries: self.retries != other.retries
            case .keepSucceeded: self.keepSucceeded != other.keepSucceeded
            case .keepFailed: self.keepFailed != other.keepFailed
            case .podTTL: self.podTTL != other.podTTL
            case .pendingTimeout: self.pendingTimeout != other.pendingTimeout
            case .isSuspended: self.isSuspended != other.isSuspended
            case .labels: self.labels != other.labels
            case .annotations: self.annotations != other.annotations
            case .sourceFile: self.location.file != other.location.file
            }
        }
    }
}
