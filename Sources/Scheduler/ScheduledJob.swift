public import Foundation
public import RunModel

/// The scheduler's view of one job: when it fires, under which policies, and what it runs.
///
/// The command line builds it from a schedule file's job specification; the core needs nothing else.
/// The policies are read on the job itself (`job.concurrency`, `job.zone`; the list is `Settings`).
@dynamicMemberLookup
public struct ScheduledJob: Sendable, CustomStringConvertible {
    /// The job's name, unique across all schedule files.
    public var name: String
    /// When the job fires.
    public var schedule: any FireSchedule
    /// The command, run as `/bin/sh -c COMMAND`.
    public var command: String
    /// The settings, in one immutable instance that jobs with the same settings may share
    /// (`sharingSettings(with:)`): the scheduler holds every job for as long as it is loaded.
    private var shared: SharedSettings

    /// Everything about a job but its name, schedule and command.
    public struct Settings: Equatable, Sendable {
        /// The zone the schedule is read in.
        public var zone: TimeZone
        /// What happens when a slot comes while a run is still active.
        public var concurrency: ConcurrencyPolicy
        /// A slot that cannot be started within this long after its time is missed, not started late.
        public var startingDeadline: Duration?
        /// What happens to slots passed over while the daemon was down or the clock jumped forward.
        public var catchUp: CatchUpPolicy
        /// Whether scheduled slots are skipped (manual triggers still run).
        public var isSuspended: Bool
        /// How long a run may take before it is stopped.
        public var timeout: Duration?
        /// How many times a failed run's command is run again within the run (`CRON_RETRIES`).
        public var retries: Int
        /// Which executor runs the job.
        public var executor: ExecutorKind
        /// The environment the command sees.
        public var environment: [String: String]
    }

    /// Creates a job; the defaults are those of the schedule files (`JobDefaults`).
    public init(
        name: String, schedule: any FireSchedule, zone: TimeZone,
        concurrency: ConcurrencyPolicy = JobDefaults.concurrency, startingDeadline: Duration? = JobDefaults.startingDeadline,
        catchUp: CatchUpPolicy = JobDefaults.catchUp, isSuspended: Bool = JobDefaults.isSuspended,
        timeout: Duration? = JobDefaults.timeout, retries: Int = JobDefaults.retries,
        executor: ExecutorKind = JobDefaults.executor, command: String, environment: [String: String] = [:]
    ) {
        self.name = name
        self.schedule = schedule
        self.command = command
        shared = SharedSettings(Settings(
            zone: zone, concurrency: concurrency, startingDeadline: startingDeadline, catchUp: catchUp,
            isSuspended: isSuspended, timeout: timeout, retries: retries, executor: executor, environment: environment))
    }

    /// One of the job's settings; setting it changes this job only.
    public subscript<Value>(dynamicMember setting: WritableKeyPath<Settings, Value>) -> Value {
        get { shared.settings[keyPath: setting] }
        set {
            var settings = shared.settings
            settings[keyPath: setting] = newValue
            shared = SharedSettings(settings)
        }
    }

    /// This job, holding `other`'s settings instance when the two have the same settings, so that
    /// 10,000 jobs written under the same settings hold them once.
    public func sharingSettings(with other: ScheduledJob) -> ScheduledJob {
        guard shared !== other.shared, shared.settings == other.shared.settings else { return self }
        var job = self
        job.shared = other.shared
        return job
    }

    public var description: String { "\(name) (\(schedule) in \(self.zone.identifier))" }

    /// Whether the two definitions fire at the same times (so a reload keeps the job's timeline).
    public func hasSameTimes(as other: ScheduledJob) -> Bool {
        schedule.description == other.schedule.description && self.zone.identifier == other.zone.identifier
    }

    /// A job's settings, immutable, so that jobs can share one.
    private final class SharedSettings: Sendable {
        let settings: Settings
        init(_ settings: Settings) { self.settings = settings }
    }
}

extension ScheduledJob: Equatable {
    /// The same name, schedule, command and settings. The settings are compared whole (their
    /// `Equatable` is derived), so a setting added later counts as a change on reload without
    /// anyone remembering to list it here.
    public static func == (a: ScheduledJob, b: ScheduledJob) -> Bool {
        a.name == b.name && a.schedule.description == b.schedule.description && a.command == b.command
            && (a.shared === b.shared || a.shared.settings == b.shared.settings)
    }
}
