import RunModel

extension FileState {
    /// The rules of the executors' own settings, at a job line:
    /// - an `ecs` job needs a cluster and subnets, and, unless it names a task definition, what
    ///   fargate-cron registers one from (an execution role and a log group; the image is checked
    ///   with the other executors'); its CPU and memory must be a Fargate task size exactly;
    /// - it may not use the settings that describe a Kubernetes Job, nor those of a registered
    ///   definition beside a given one;
    /// - a job of another executor may not use `CRON_ECS_` settings.
    ///
    /// A misused setting is reported at its assignment, once; a missing one at the job's name.
    mutating func checkExecutorSettings(job: JobName, line: Int, column: Int) {
        guard settings.executor == .ecs else {
            for setting in Setting.allCases where setting.isECS {
                misuse(setting, job: job, why: "CRON_ECS_ settings are for jobs with CRON_EXECUTOR=ecs")
            }
            return
        }
        let ecs = settings.ecs
        func require(_ setting: Setting, _ present: Bool, why: String = "") {
            if !present && !failedSettings.contains(setting) {
                report(.missingECSSetting(setting, job: job, why: why), line: line, column: column)
            }
        }
        require(.ecsCluster, ecs.cluster != nil)
        require(.ecsSubnets, !ecs.subnets.isEmpty, why: "a Fargate task's network interface is in one of them")
        for setting in Setting.kubernetesOnly {
            misuse(setting, job: job, why: "it describes a Kubernetes Job")
        }
        if ecs.taskDefinition == nil {
            let why = "fargate-cron registers the task definition, as no CRON_ECS_TASK_DEFINITION is set"
            require(.ecsExecutionRole, ecs.executionRole != nil, why: "ECS pulls the image and writes the logs with it; " + why)
            require(.ecsLogGroup, ecs.logGroup != nil, why: "the output is read from there; " + why)
            misuse(.ecsContainer, job: job, why: "it names a container of CRON_ECS_TASK_DEFINITION, which is not set")
        } else {
            let why = "CRON_ECS_TASK_DEFINITION names a definition that has its own"
            for setting in [Setting.image, .ecsExecutionRole, .ecsTaskRole, .ecsLogGroup, .ecsLogStreamPrefix] {
                misuse(setting, job: job, why: why)
            }
        }
        checkTaskSize(line: line, column: column)
    }

    /// Reports a setting assigned above `job` that it may not use, once per assignment.
    private mutating func misuse(_ setting: Setting, job: JobName, why: String) {
        guard let location = assignedAt[setting], !reportedMisuse.contains(location.description + setting.rawValue) else { return }
        reportedMisuse.insert(location.description + setting.rawValue)
        diagnostics.append(ScheduleError(.settingNotForExecutor(setting, job: job, executor: settings.executor, why: why), at: location))
    }

    /// An ECS task's CPU and memory must be one of Fargate's pairs exactly; reported once per pair.
    private mutating func checkTaskSize(line: Int, column: Int) {
        guard failedSettings.isDisjoint(with: [.cpu, .memory]) else { return }
        let (cpu, memory) = (settings.cpu, settings.memory)
        let key = [cpu.milliValue, memory.milliValue, -1]
        guard FargateSize.task(cpu: cpu, memory: memory) == nil, !reportedSizes.contains(key) else { return }
        reportedSizes.insert(key)
        let unset = [Setting.cpu, .memory].filter { assignedAt[$0] == nil }
        report(
            .noFargateTaskSize(cpu: cpu, memory: memory, allowed: FargateSize.allowedTaskSizes(near: cpu), unset: unset),
            line: line, column: column)
    }
}
