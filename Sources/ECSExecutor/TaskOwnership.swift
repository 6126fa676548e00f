public import RunModel
import AWS
import Crypto
public import ECS
import FargateExecutor
public import Foundation
public import Scheduler

/// How fargate-cron marks its ECS tasks, so that ownership, the job and the slot are recoverable
/// from ECS alone (after a crash, or with a lost ledger), and a start is made at most once per slot.
public enum TaskOwnership {
    /// `managed-by=fargate-cron`, on every task and registered task definition.
    public static let managedBy = ECSTag(key: "managed-by", value: "fargate-cron")
    /// The job's name.
    public static let jobKey = "fargate-cron/job"
    /// The slot, RFC 3339 in UTC (with milliseconds when it has a fraction).
    public static let scheduledAtKey = "fargate-cron/scheduled-at"
    /// The run store's id of the run.
    public static let runIDKey = "fargate-cron/run-id"
    /// scheduled, catchUp, manual, reboot.
    public static let triggerKey = "fargate-cron/trigger"
    /// On registered task definitions: a hash of what they were registered from.
    public static let definitionHashKey = "fargate-cron/definition-hash"

    /// `startedBy` of a job's tasks (`ListTasks` filters on it): `fargate-cron/JOB`, at most 65
    /// characters of the 128 ECS allows.
    public static func startedBy(job: String) -> String { "fargate-cron/\(job)" }

    /// The slot as a tag value.
    public static func tagValue(of slot: Date) -> String { OwnershipLabels.annotationValue(of: slot) }

    /// The tags of a run's task.
    public static func tags(for request: RunRequest) -> [ECSTag] {
        [
            managedBy,
            ECSTag(key: jobKey, value: request.slot.job),
            ECSTag(key: scheduledAtKey, value: tagValue(of: request.slot.scheduledAt)),
            ECSTag(key: runIDKey, value: request.run.description),
            ECSTag(key: triggerKey, value: request.trigger.rawValue),
        ]
    }

    /// Whether `task` is fargate-cron's task of this job and slot.
    public static func isTask(_ task: ECSTask, of slot: Slot) -> Bool {
        task.tag(managedBy.key) == managedBy.value && task.tag(jobKey) == slot.job
            && task.tag(scheduledAtKey) == tagValue(of: slot.scheduledAt)
    }

    /// RunTask's `clientToken` for a slot: the same for every attempt at the slot, and different for
    /// every other (job, slot). ECS keeps a token for 24 hours per cluster, so a start retried after a
    /// lost answer or a crash returns the task the first attempt made. At most 64 characters: up to
    /// 40 of the job's name (for people reading CloudTrail), `-`, then 23 hex digits of SHA-256 over
    /// the job and the slot.
    public static func clientToken(for slot: Slot) -> String {
        let digest = SHA256.hash(data: Data("\(slot.job)@\(tagValue(of: slot.scheduledAt))".utf8))
        return "\(slot.job.prefix(40))-\(SigV4.hex(digest).prefix(23))"
    }
}
