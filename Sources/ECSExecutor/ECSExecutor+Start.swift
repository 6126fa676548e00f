public import RunModel
import ECS
import Foundation
import Logging
public import Scheduler

extension ECSExecutor {
    /// Starts the slot's task (or adopts the one an earlier attempt made) and starts following it.
    ///
    /// Under `forbid` a task of the job that ECS reports as running blocks the slot (even if the
    /// ledger was lost); under `replace` such tasks are stopped first. Transient failures (throttling,
    /// 5xx, dropped connections) are retried with backoff until the request's
    /// ``RunRequest/startDeadline`` (or ``Configuration/startRetryLimit`` from now): RunTask's
    /// `clientToken` comes from the job and the slot, so an attempt whose answer was lost returns the
    /// same task on the next one instead of starting a second.
    /// - Throws: ``ExecutorError`` when the job has no ECS settings, its task definition cannot be
    ///   found or registered, a task of the job still runs under `forbid`, ECS refuses or cannot
    ///   place the task, or it still fails at the deadline.
    public func start(_ request: RunRequest, output: any OutputSink) async throws(ExecutorError) -> RunHandle {
        guard let settings = settingsOf(request.slot.job) else {
            throw ExecutorError("\(request.slot.job) has no ECS settings")
        }
        let deadline = request.startDeadline ?? clock.now().addingTimeInterval(configuration.startRetryLimit.timeInterval)
        let definition: ResolvedTaskDefinition
        do {
            definition = try await definitions.resolve(settings, command: request.command, environment: request.environment, deadline: deadline)
        } catch {
            throw ExecutorError("the task definition of \(settings.jobName): \(error)")
        }
        if let existing = try await checkConcurrency(of: settings, for: request, deadline: deadline) {
            logger.info("adopting task \(existing.taskArn), started by an earlier attempt at \(request.slot)")
            return follow(existing.taskArn, in: settings.cluster, task: existing, origin: clock.now(), request: request,
                          settings: settings, definition: definition, output: output)
        }
        let runTask = Self.runTaskRequest(for: request, settings: settings, definition: definition)
        Failpoint.reach("ecs-before-run-task")
        let started: (tasks: [ECSTask], failures: [ECSFailure])
        do {
            started = try await ecs.runTask(runTask, deadline: deadline)
        } catch {
            // The task may exist all the same: an answer lost at the deadline, or a token already used
            // with other parameters (the job's definition changed between a crash and the retry).
            if error.isTransient || error.code == "ConflictException",
                let made = await lastLookForTask(of: request.slot, settings: settings)
            {
                logger.info("adopting task \(made.taskArn) of \(request.slot), made by an attempt whose answer was lost")
                return follow(made.taskArn, in: settings.cluster, task: made, origin: clock.now(), request: request,
                              settings: settings, definition: definition, output: output)
            }
            throw ExecutorError("RunTask for \(settings.jobName) failed: \(error)")
        }
        Failpoint.reach("ecs-after-run-task")
        guard let task = started.tasks.first else {
            let why = started.failures.map(\.description).joined(separator: "; ")
            throw ExecutorError("ECS did not start a task for \(settings.jobName): \(why.isEmpty ? "no task and no failure in its answer" : why)")
        }
        logger.debug("started task \(task.taskArn) for run \(request.run) of \(settings.jobName)")
        return follow(task.taskArn, in: settings.cluster, task: task, origin: clock.now(), request: request, settings: settings,
                      definition: definition, output: output)
    }

    /// The RunTask of a slot. Every attempt at a slot sends the same parameters (the clientToken
    /// holds only for identical requests).
    static func runTaskRequest(for request: RunRequest, settings: ECSJobSettings, definition: ResolvedTaskDefinition) -> RunTaskRequest {
        var container = ContainerOverride(name: definition.container, command: ["/bin/sh", "-c", request.command])
        var task = TaskOverride(containerOverrides: nil)
        // The run's own variables, as a Kubernetes run's container has them.
        var environment = ["SCHEDULED_TIME": TaskOwnership.tagValue(of: request.slot.scheduledAt), "CRON_RUN_ID": request.run.description]
        if case .given = settings.taskDefinition {
            // A definition made elsewhere gets the job's environment and size as overrides; a
            // registered one already has them.
            environment.merge(request.environment) { ours, _ in ours }
            container.memory = settings.size.memoryMiB
            task.cpu = String(settings.size.cpuUnits)
            task.memory = String(settings.size.memoryMiB)
        }
        container.environment = environment.sorted { $0.key < $1.key }.map { ECSKeyValuePair(name: $0.key, value: $0.value) }
        task.containerOverrides = [container]
        return RunTaskRequest(
            cluster: settings.cluster, taskDefinition: definition.reference,
            launchType: settings.capacityProviders.isEmpty ? "FARGATE" : nil,
            capacityProviderStrategy: settings.capacityProviders.isEmpty ? nil : settings.capacityProviders,
            networkConfiguration: NetworkConfiguration(awsvpcConfiguration: AwsVpcConfiguration(
                subnets: settings.subnets, securityGroups: settings.securityGroups.isEmpty ? nil : settings.securityGroups,
                assignPublicIp: settings.assignsPublicIP ? "ENABLED" : "DISABLED")),
            overrides: task, platformVersion: settings.platformVersion, startedBy: TaskOwnership.startedBy(job: settings.jobName),
            tags: TaskOwnership.tags(for: request), clientToken: TaskOwnership.clientToken(for: request.slot))
    }

    /// Under `forbid` and `replace`, the job's tasks that ECS reports as running (desired status
    /// RUNNING, pending ones included): a task of this very slot is returned to be adopted; under
    /// `forbid` another one refuses the start; under `replace` the others are stopped.
    func checkConcurrency(of settings: ECSJobSettings, for request: RunRequest, deadline: Date) async throws(ExecutorError) -> ECSTask? {
        guard settings.concurrency != .allow else { return nil }
        let running: [ECSTask]
        do {
            running = try await tasks(of: settings, desiredStatus: "RUNNING", deadline: deadline)
        } catch {
            throw ExecutorError("listing the running tasks of \(settings.jobName) failed: \(error)")
        }
        if let own = running.first(where: { TaskOwnership.isTask($0, of: request.slot) }) { return own }
        guard !running.isEmpty else { return nil }
        let names = running.map(\.taskArn).sorted()
        if settings.concurrency == .forbid {
            throw ExecutorError("\(settings.jobName) is forbidden to overlap and its task \(names.joined(separator: ", ")) "
                                + "is still running in ECS")
        }
        for task in running {
            do {
                try await ecs.stopTask(cluster: settings.cluster, task: task.taskArn,
                                       reason: "fargate-cron: replaced by the slot at \(TaskOwnership.tagValue(of: request.slot.scheduledAt))",
                                       deadline: deadline)
                logger.info("replaced: stopped the running task \(task.taskArn) of \(settings.jobName)")
            } catch {
                throw ExecutorError("stopping the running task \(task.taskArn) of \(settings.jobName) to replace it failed: \(error)")
            }
        }
        return nil
    }

    /// The job's tasks with this desired status, described with their tags.
    func tasks(of settings: ECSJobSettings, desiredStatus: String, deadline: Date) async throws(ECSError) -> [ECSTask] {
        let arns = try await ecs.listTasks(
            cluster: settings.cluster, startedBy: TaskOwnership.startedBy(job: settings.jobName), desiredStatus: desiredStatus,
            deadline: deadline)
        var found: [ECSTask] = []
        for start in stride(from: 0, to: arns.count, by: ECSClient.describeLimit) {
            let chunk = Array(arns[start..<min(start + ECSClient.describeLimit, arns.count)])
            found += try await ecs.describeTasks(cluster: settings.cluster, tasks: chunk, deadline: deadline).tasks
        }
        // ListTasks filters on startedBy only: the tags say whether a task is really ours.
        return found.filter { $0.tag(TaskOwnership.managedBy.key) == TaskOwnership.managedBy.value && $0.tag(TaskOwnership.jobKey) == settings.jobName }
    }

    /// The task fargate-cron started for this slot, running or stopped, if ECS still knows it.
    /// - Throws: when ECS could not be asked (after the client's retries up to `deadline`).
    func taskOfSlot(_ slot: Slot, settings: ECSJobSettings, deadline: Date) async throws(ECSError) -> ECSTask? {
        for status in ["RUNNING", "STOPPED"] {
            if let task = try await tasks(of: settings, desiredStatus: status, deadline: deadline)
                .first(where: { TaskOwnership.isTask($0, of: slot) })
            {
                return task
            }
        }
        return nil
    }

    /// ``taskOfSlot(_:settings:deadline:)`` as a last look before a start gives up: a failure to look
    /// is logged and counts as nothing found.
    func lastLookForTask(of slot: Slot, settings: ECSJobSettings) async -> ECSTask? {
        do {
            return try await taskOfSlot(slot, settings: settings, deadline: clock.now().addingTimeInterval(10))
        } catch {
            logger.warning("looking for the task of \(slot) failed: \(error)")
            return nil
        }
    }
}
