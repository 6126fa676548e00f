import RunModel
import ECS
import Foundation
import Logging
public import Scheduler
import Systemd

extension ECSExecutor {
    /// After a restart: a run with a handle is followed again if ECS still knows its task; one
    /// without (the daemon died between the intent and RunTask's answer) is looked up by its job's
    /// `startedBy` and its slot's tags, running or stopped. A task found is followed to its end, its
    /// output read and its outcome reported — also when it stopped while the daemon was away.
    public func reattach(_ run: RunRecord, job: ScheduledJob?, output: (any OutputSink)?) async -> Reattachment {
        guard let settings = settingsOf(run.slot.job) else { return .lost(reason: "\(run.slot.job) has no ECS settings any more") }
        // A throttled API at start-up must not lose a run that is still going: transient failures are
        // retried for as long as a start would be.
        let deadline = clock.now().addingTimeInterval(configuration.startRetryLimit.timeInterval)
        let task: ECSTask
        let cluster: String
        if let handle = run.handle {
            cluster = ECSTask.cluster(inTaskARN: handle.reference) ?? settings.cluster
            do {
                let described = try await ecs.describeTasks(cluster: cluster, tasks: [handle.reference], deadline: deadline)
                guard let found = described.tasks.first else {
                    return .lost(reason: "its task \(handle.reference) is no longer known to ECS (ECS forgets stopped tasks after about an hour)")
                }
                task = found
            } catch {
                return .lost(reason: "its task \(handle.reference) could not be described: \(error)")
            }
        } else {
            cluster = settings.cluster
            let found: ECSTask?
            do {
                found = try await taskOfSlot(run.slot, settings: settings, deadline: deadline)
            } catch {
                return .lost(reason: "ECS could not be asked for the task of the slot: \(error)")
            }
            guard let found else { return .lost(reason: "its task was never started (no task of the slot in ECS)") }
            task = found
        }
        let definition: ResolvedTaskDefinition
        do {
            definition = try await definitions.describe(
                task.taskDefinitionArn ?? "", container: containerName(of: task, settings: settings), deadline: deadline)
        } catch {
            // Its logs cannot be found, but its end can still be followed and recorded.
            logger.warning("the task definition of adopted task \(task.taskArn) could not be read; its output is not brought home: \(error)")
            definition = ResolvedTaskDefinition(
                reference: task.taskDefinitionArn ?? "", container: containerName(of: task, settings: settings) ?? "", logConfiguration: nil)
        }
        let request = RunRequest(slot: run.slot, run: run.id, trigger: run.trigger, command: job?.command ?? "",
                                 environment: job?.environment ?? [:], timeout: job?.timeout)
        var alreadyWritten = 0
        if journal?.destination == .journal {
            do {
                alreadyWritten = try JournalledLines.count(run: run.id, taskARN: task.taskArn)
            } catch {
                logger.warning("the journal cannot be read, so the output of run \(run.id) is written again from its start: \(error)")
            }
        }
        logger.info("re-attached run \(run.id) of \(run.slot.job) to task \(task.taskArn) (\(task.lastStatus ?? "?"), \(alreadyWritten) line(s) journalled)")
        return .running(follow(task.taskArn, in: cluster, task: task, origin: task.createdAt ?? run.startedAt ?? clock.now(),
                               request: request, settings: settings, definition: definition, output: output,
                               alreadyWritten: alreadyWritten))
    }

    /// The container the job ran in: the one fargate-cron named after the job, or the given one.
    private func containerName(of task: ECSTask, settings: ECSJobSettings) -> String? {
        switch settings.taskDefinition {
        case .registered: settings.jobName
        case .given(_, let container): container
        }
    }
}
