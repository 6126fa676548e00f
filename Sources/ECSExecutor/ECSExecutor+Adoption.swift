public import RunModel
public import ECS
import FargateExecutor
public import Foundation
import Scheduler

/// A task fargate-cron started, as ECS and the task's tags tell it: what a new leader adopts when
/// another host started it.
public struct OwnedTask: Hashable, Sendable {
    /// The job and slot of its tags.
    public var slot: Slot
    /// How its run was started (its `fargate-cron/trigger` tag; `scheduled` when absent).
    public var trigger: Trigger
    public var taskARN: String
    /// When ECS created it.
    public var createdAt: Date?
}

extension ECSExecutor {
    /// The tasks of `jobs` that ECS reports running (desired status RUNNING, pending ones included),
    /// found by their `startedBy` and checked by their tags; a task whose slot tag cannot be read is
    /// left out (it is not one fargate-cron made).
    /// - Throws: ``ECSError`` when ECS cannot be asked (after retries up to the start retry limit).
    public func runningTasks(of jobs: [String]) async throws(ECSError) -> [OwnedTask] {
        let deadline = clock.now().addingTimeInterval(configuration.startRetryLimit.timeInterval)
        var owned: [OwnedTask] = []
        for job in jobs {
            guard let settings = settingsOf(job) else { continue }
            for task in try await tasks(of: settings, desiredStatus: "RUNNING", deadline: deadline) {
                // The tag is the annotation form of the slot; the label form is it without '-' and ':'.
                guard let text = task.tag(TaskOwnership.scheduledAtKey),
                    let scheduledAt = OwnershipLabels.slot(fromLabel: text.filter { $0 != "-" && $0 != ":" })
                else { continue }
                owned.append(OwnedTask(
                    slot: Slot(job: job, scheduledAt: scheduledAt),
                    trigger: task.tag(TaskOwnership.triggerKey).flatMap(Trigger.init(rawValue:)) ?? .scheduled,
                    taskARN: task.taskArn, createdAt: task.createdAt))
            }
        }
        return owned
    }
}
