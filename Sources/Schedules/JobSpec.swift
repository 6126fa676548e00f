public import CronExpression
public import Foundation
public import RunModel

/// One job from a schedule file, validated and typed: everything the daemon needs to run it.
///
/// A job spec never makes a job fire by itself: loading or reloading one only tells the scheduler
/// what the job is. The scheduler computes the first fire time strictly after the moment it learns
/// of the job (or of its new schedule); missed slots are caught up, per `catchUp`, only from the
/// job's last run in the ledger. See `ScheduleReload`.
@dynamicMemberLookup
public struct JobSpec: Hashable, Sendable {
    /// The job's name, unique across all schedule files.
    public var name: JobName
    /// When the job fires; `H` in it is hashed from the job's name.
    public var schedule: CronExpression
    /// The command, run as `/bin/sh -c COMMAND`; `\%` is already a plain `%`.
    public var command: String
    /// Where the job's line is.
    public var location: SourceLocation
    /// The settings and environment in force at the job's line (see `JobSpec+Settings.swift`).
    ///
    /// Every job of a file written under the same settings shares one instance: the daemon keeps
    /// every loaded spec for its reload diffs, and a whole spec a job made 10,000 jobs cost 7.3 MB.
    var inherited: InheritedSettings

    init(name: JobName, schedule: CronExpression, command: String, location: SourceLocation, inherited: InheritedSettings) {
        self.name = name
        self.schedule = schedule
        self.command = command
        self.location = location
        self.inherited = inherited
    }

    /// The size Fargate bills a run of this job as, counting every container of its pod as Fargate
    /// does (``PodRequests``); `nil` when none fits or the executor is `local`.
    public var fargateSize: FargateSize? {
        FargateSize.overheadMiB(for: self.executor).flatMap { FargateSize.billed(pod: podRequests, overheadMiB: $0) }
    }

    /// Each run's pod as Fargate sizes it (see `SettingValues+Pod.swift`).
    public var podRequests: PodRequests { inherited.values.podRequests }

    /// The CPU each run's main container gets: `CRON_CPU` if assigned, else the template's, else the default.
    public var mainContainerCPU: ResourceQuantity { inherited.values.mainContainerCPU }

    /// The memory each run's main container gets, chosen as ``mainContainerCPU`` is.
    public var mainContainerMemory: ResourceQuantity { inherited.values.mainContainerMemory }

    public static func == (a: JobSpec, b: JobSpec) -> Bool {
        a.name == b.name && a.schedule == b.schedule && a.command == b.command && a.location == b.location
            && a.inherited.hasSameContent(as: b.inherited)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(schedule)
        hasher.combine(command)
        hasher.combine(location)
        hasher.combine(inherited.values)
        hasher.combine(inherited.environment)
    }
}

/// One `NAME=value` of a job's environment.
public struct EnvironmentVariable: Hashable, Sendable, Codable {
    public var name: String
    public var value: String
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// One `key=value` label or annotation.
public struct MetadataEntry: Hashable, Sendable, Codable {
    public var key: String
    public var value: String
    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}
