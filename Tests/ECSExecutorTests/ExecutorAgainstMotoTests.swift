import RunModel
import ECS
import ECSExecutor
import ECSTestSupport
import FargateExecutor
import Foundation
import Scheduler
import Synchronization
import TestSupport
import Testing

/// The executor against moto behind the ECS front, which runs each task's command as a process and
/// ships its output to CloudWatch Logs as the awslogs driver does; the real journald (both started
/// by `scripts/test`).
@Suite(.enabled(if: Moto.isAvailableWithJournal, "needs moto and journald (scripts/test starts them)"), .timeLimit(.minutes(3)))
struct ExecutorAgainstMotoTests {
    @Test func aRunGoesFromRunTaskToItsExitWithEveryLineInTheJournal() async throws {
        let world = try await World("journey")
        let job = world.job("report")
        let request = world.request(job, command: "for i in 1 2 3 4 5; do echo \"line $i of $REPORT\"; done", environment: ["REPORT": "nightly"], run: 101)
        let (outcome, report) = try await world.following { try await world.runToEnd(request) }
        #expect(outcome == .succeeded)
        let run = try #require(report)
        #expect(run.linesWritten == 5)
        #expect(run.task?.container(named: job.jobName)?.exitCode == 0)
        // The bill: 0.25 vCPU and 0.5 GB from the image pull to the stop, with Fargate's one-minute minimum.
        let cost = try #require(run.cost)
        #expect(cost.capacity == FargateCapacity(vCPU: 0.25, memoryGB: 0.5) && cost.billedSeconds == 60)
        #expect(cost.estimatedPrice == Decimal(60) / 3600 * (Decimal(string: "0.25")! * Decimal(string: "0.04048")! + Decimal(string: "0.5")! * Decimal(string: "0.004445")!))

        // One task, as the job's settings say: network, launch type, tags, startedBy, clientToken, size, command.
        let tasks = try await world.tasks(of: job)
        let task = try #require(tasks.first)
        #expect(tasks.count == 1 && task.taskArn == run.taskARN)
        #expect(task.subnets == Array(world.network.subnets.prefix(2)) && task.securityGroups == world.network.securityGroups)
        #expect(task.assignPublicIp == "DISABLED" && task.launchType == "FARGATE" && task.platformVersion == "1.4.0")
        #expect(task.tag("managed-by") == "fargate-cron" && task.tag("fargate-cron/scheduled-at") == "2026-11-29T06:30:00Z")
        #expect(task.tag("fargate-cron/run-id") == "101" && task.startedBy == "fargate-cron/\(job.jobName)")
        #expect(task.clientToken == TaskOwnership.clientToken(for: request.slot))
        #expect(task.cpu == "256" && task.memory == "512" && task.container == job.jobName)
        #expect(task.command == ["/bin/sh", "-c", request.command] && task.environment["REPORT"] == "nightly")
        #expect(task.environment["SCHEDULED_TIME"] == "2026-11-29T06:30:00Z" && task.environment["CRON_RUN_ID"] == "101")

        var lines: [[String: String]] = []
        let complete = try await poll(within: .seconds(10)) {
            lines = try await journalEntries(["CRON_JOB=\(job.jobName)", "CRON_RUN_ID=101"])
            return lines.count >= 5
        }
        #expect(complete)
        #expect(lines.map { $0["MESSAGE"] ?? "" } == (1...5).map { "line \($0) of nightly" })
        #expect(lines.allSatisfy { $0["ECS_TASK_ARN"] == run.taskARN && $0["ECS_CONTAINER"] == job.jobName })
        #expect(lines.allSatisfy { $0["CRON_OUTPUT_TIMESTAMP"] != nil && $0["CRON_SCHEDULED_AT"] == "2026-11-29T06:30:00Z" })
    }

    @Test func aNonZeroExitIsRecordedWithItsCodeAndECSsReason() async throws {
        let world = try await World("exit")
        let job = world.job("report")
        let (outcome, report) = try await world.following {
            try await world.runToEnd(world.request(job, command: "echo failing >&2; exit 3", run: 102))
        }
        #expect(outcome == .failed(exitCode: 3, reason: "exited with code 3: Essential container in task exited"))
        #expect(report?.linesWritten == 1)
        #expect(report?.task?.stopCode == "EssentialContainerExited")
    }

    @Test func withoutAJournalTheOutputGoesToTheSchedulersSink() async throws {
        let world = try await World("sink", journal: false)
        let job = world.job("report")
        let output = CollectedOutput()
        let (outcome, _) = try await world.following {
            try await world.runToEnd(world.request(job, command: "echo one; echo two", run: 103), output: output)
        }
        #expect(outcome == .succeeded)
        #expect(output.lines.withLock { $0 } == ["one", "two"])
    }

    @Test func aGivenTaskDefinitionGetsTheJobsCommandEnvironmentAndSizeAsOverrides() async throws {
        let world = try await World("given")
        let family = Moto.unique("made-elsewhere")
        _ = try await world.front.ecs().registerTaskDefinition(TaskDefinition(
            family: family,
            containerDefinitions: [
                ContainerDefinition(name: "app", image: "busybox", command: ["/bin/false"],
                                    environment: [ECSKeyValuePair(name: "FROM_DEFINITION", value: "kept")],
                                    logConfiguration: LogConfiguration(logDriver: "awslogs", options: [
                                        "awslogs-group": world.logGroup, "awslogs-region": "us-east-1", "awslogs-stream-prefix": "app",
                                    ])),
            ], cpu: "256", memory: "512", executionRoleArn: "arn:aws:iam::123456789012:role/exec"), tags: [])
        let job = world.job("given", definition: .given(family, container: nil), size: FargateTaskSize(cpuUnits: 512, memoryMiB: 1024))
        let request = world.request(job, command: "echo \"$FROM_DEFINITION $FROM_JOB\"", environment: ["FROM_JOB": "too"], run: 104)
        let (outcome, report) = try await world.following { try await world.runToEnd(request) }
        #expect(outcome == .succeeded)
        #expect(report?.container == "app" && report?.linesWritten == 1)
        let task = try #require(try await world.tasks(of: job).first)
        #expect(task.taskDefinition == family && task.cpu == "512" && task.memory == "1024")
        let lines = try await journalEntries(["CRON_JOB=\(job.jobName)"])
        #expect(lines.map { $0["MESSAGE"] ?? "" } == ["kept too"] && lines.first?["ECS_CONTAINER"] == "app")
        #expect(try await world.front.requests().filter { $0 == "ecs:RegisterTaskDefinition" }.count == 1)  // the test's own
    }

    @Test func fargateSpotIsACapacityProviderStrategy() async throws {
        let world = try await World("spot")
        let job = world.job("spot", capacityProviders: [CapacityProviderStrategyItem(capacityProvider: "FARGATE_SPOT", weight: 1)])
        let (outcome, report) = try await world.following { try await world.runToEnd(world.request(job, command: "true", run: 105)) }
        #expect(outcome == .succeeded)
        let task = try #require(try await world.tasks(of: job).first)
        #expect(task.launchType == nil && task.capacityProviderName == "FARGATE_SPOT")
        #expect(report?.task?.capacityProviderName == "FARGATE_SPOT")
    }

    @Test func aRegisteredDefinitionIsReusedWhileTheJobIsUnchanged() async throws {
        let world = try await World("reuse")
        let job = world.job("reuse", concurrency: .allow)
        try await world.following {
            for (run, slot) in [(106, "2026-11-29T06:30:00Z"), (107, "2026-11-29T06:31:00Z")] {
                #expect(try await world.runToEnd(world.request(job, command: "true", slot: slot, run: Int64(run))).0 == .succeeded)
            }
            // A restarted daemon finds the revision by its tag instead of registering another.
            let restarted = World(restarting: world)
            _ = try await restarted.executor.start(
                world.request(job, command: "true", slot: "2026-11-29T06:32:00Z", run: 108, timeout: nil), output: CollectedOutput())
            #expect(try await world.front.requests().filter { $0 == "ecs:RegisterTaskDefinition" }.count == 1)
            // A new command is a new revision.
            #expect(try await world.runToEnd(world.request(job, command: "echo changed", slot: "2026-11-29T06:33:00Z", run: 109)).0 == .succeeded)
            #expect(try await world.front.requests().filter { $0 == "ecs:RegisterTaskDefinition" }.count == 2)
        }
        let definitions = Set(try await world.tasks(of: job).compactMap(\.taskDefinition))
        #expect(definitions.count == 2 && definitions.allSatisfy { $0.contains("task-definition/fargate-cron-\(job.jobName):") })
    }

    @Test func oneDescribeTasksCallFollowsEveryRun() async throws {
        let world = try await World("herd")
        let jobs = (0..<6).map { world.job("herd-\($0)") }
        let outcomes = try await world.following {
            try await withThrowingTaskGroup(of: RunOutcome?.self) { group in
                for (index, job) in jobs.enumerated() {
                    group.addTask { try await world.runToEnd(world.request(job, command: "sleep 2", run: Int64(110 + index))).0 }
                }
                var all: [RunOutcome?] = []
                for try await outcome in group { all.append(outcome) }
                return all
            }
        }
        #expect(outcomes.count == 6 && outcomes.allSatisfy { $0 == .succeeded })
        // Runs are followed together: once all six are started, each round describes them in one call.
        let sizes = try await world.front.describeSizes()
        #expect(sizes.contains(6), "\(sizes)")
        #expect(sizes.count < 6 * 10, "a call per run and round would be about 60: \(sizes.count)")
    }

    @Test func aRunLongerThanItsTimeoutIsStoppedAndFailed() async throws {
        let world = try await World("timeout")
        let job = world.job("slow")
        let (outcome, report) = try await world.following {
            try await world.runToEnd(world.request(job, command: "echo started; sleep 30", run: 120, timeout: .seconds(1)))
        }
        #expect(outcome == .failed(exitCode: 143, reason: "timed out after 1s (CRON_TIMEOUT): its task was stopped"))
        #expect(report?.linesWritten == 1)
        let task = try #require(try await world.tasks(of: job).first)
        #expect(task.lastStatus == "STOPPED" && task.stopCode == "UserInitiated")
        #expect(task.stoppedReason == "fargate-cron: ran longer than its timeout of 1s (CRON_TIMEOUT)")
    }

    @Test func aTaskStuckPendingIsStoppedAndFailed() async throws {
        let world = try await World("pending")
        let job = world.job("stuck", pendingTimeout: .seconds(1))
        let (outcome, report) = try await world.following {
            try await world.runToEnd(world.request(job, command: "true", environment: ["TEST_ECS_PENDING_SECONDS": "stuck"], run: 121))
        }
        #expect(outcome == .failed(exitCode: nil, reason: "stuck PENDING for 1s (CRON_PENDING_TIMEOUT): its task was stopped"))
        #expect(report?.cost != nil)  // it was pulling: Fargate bills it
        #expect(try await world.tasks(of: job).first?.stoppedReason == "fargate-cron: still PENDING after 1s (CRON_PENDING_TIMEOUT)")
    }

    @Test func aTaskThatCannotStartFailsWithECSsReason() async throws {
        let world = try await World("pull")
        let job = world.job("pull")
        let (outcome, _) = try await world.following {
            try await world.runToEnd(world.request(
                job, command: "true", environment: ["TEST_ECS_PULL_ERROR": "pull access denied for app, repository does not exist"],
                run: 122))
        }
        #expect(outcome == .failed(exitCode: nil, reason: "platform failure: TaskFailedToStart: CannotPullContainerError: "
                                   + "pull access denied for app, repository does not exist; CannotPullContainerError: pull access denied for app, repository does not exist"))
    }

    @Test func cancellingARunStopsItsTask() async throws {
        let world = try await World("cancel")
        let job = world.job("cancel", concurrency: .replace)
        let outcome = try await world.following {
            let handle = try await world.executor.start(world.request(job, command: "echo up; sleep 30", run: 123), output: CollectedOutput())
            _ = try await poll(within: .seconds(10)) { try await world.tasks(of: job).first?.lastStatus == "RUNNING" }
            await world.executor.cancel(handle, reason: "replaced by the slot at 2026-11-29T06:31:00Z")
            return await world.executor.outcome(of: handle)
        }
        #expect(outcome == .cancelled(reason: "replaced by the slot at 2026-11-29T06:31:00Z"))
        let task = try #require(try await world.tasks(of: job).first)
        #expect(task.stopCode == "UserInitiated" && task.exitCode == 143)
        #expect(task.stoppedReason == "fargate-cron: replaced by the slot at 2026-11-29T06:31:00Z")
    }

    @Test func forbidIsCheckedAgainstTheTasksECSReports() async throws {
        let world = try await World("forbid")
        let job = world.job("forbid", concurrency: .forbid)
        try await world.following {
            let first = try await world.executor.start(world.request(job, command: "sleep 30", run: 124), output: CollectedOutput())
            // A daemon that lost its ledger still sees the task in ECS.
            let restarted = World(restarting: world)
            await #expect {
                _ = try await restarted.executor.start(
                    world.request(job, command: "sleep 30", slot: "2026-11-29T06:31:00Z", run: 125), output: CollectedOutput())
            } throws: { error in
                "\(error)".contains("is forbidden to overlap and its task \(first.reference) is still running in ECS")
            }
            await world.executor.cancel(first, reason: "test over")
            _ = await world.executor.outcome(of: first)
        }
        #expect(try await world.tasks(of: job).count == 1)
    }

    @Test func replaceStopsTheRunningTaskFirst() async throws {
        let world = try await World("replace")
        let job = world.job("replace", concurrency: .replace)
        let (old, new) = try await world.following {
            let old = try await world.executor.start(world.request(job, command: "sleep 30", run: 126), output: CollectedOutput())
            _ = try await poll(within: .seconds(10)) { try await world.tasks(of: job).first?.lastStatus == "RUNNING" }
            let restarted = World(restarting: world)
            let new = try await restarted.executor.start(
                world.request(job, command: "true", slot: "2026-11-29T06:31:00Z", run: 127), output: CollectedOutput())
            return (old, new)
        }
        let tasks = try await world.tasks(of: job)
        let stopped = try #require(tasks.first { $0.taskArn == old.reference })
        #expect(stopped.desiredStatus == "STOPPED" && stopped.stoppedReason == "fargate-cron: replaced by the slot at 2026-11-29T06:31:00Z")
        #expect(tasks.contains { $0.taskArn == new.reference } && tasks.count == 2)
    }

    @Test func lateLogBatchesAreStillRead() async throws {
        let world = try await World("late")
        let job = world.job("late")
        let (outcome, report) = try await world.following {
            try await world.runToEnd(world.request(job, command: "echo a; echo b; echo c", environment: ["TEST_ECS_LOG_LAG_SECONDS": "0.3"], run: 128))
        }
        #expect(outcome == .succeeded)
        #expect(report?.linesWritten == 3)
    }
}
