import RunModel
import ECS
import ECSExecutor
import ECSTestSupport
import Foundation
import Scheduler
import TestSupport
import Testing

/// A daemon restarted while its tasks run, and an AWS side that throttles, fails and loses answers.
@Suite(.enabled(if: Moto.isAvailableWithJournal, "needs moto and journald (scripts/test starts them)"), .timeLimit(.minutes(3)))
struct RestartAndFaultTests {
    func record(_ request: RunRequest, handle: RunHandle?) -> RunRecord {
        RunRecord(id: request.run, slot: request.slot, trigger: request.trigger, state: handle == nil ? .intended : .started,
                  handle: handle, startedAt: handle == nil ? nil : Date())
    }

    @Test func aRestartedExecutorAdoptsARunningTaskAndFollowsItToItsEnd() async throws {
        let world = try await World("adopt")
        let job = world.job("adopt")
        let request = world.request(job, command: "echo before; sleep 2; echo after; exit 4", run: 201)
        // The first daemon starts the task, then dies: its poller never runs.
        let handle = try await world.executor.start(request, output: CollectedOutput())
        let restarted = World(restarting: world)
        let (outcome, report) = try await restarted.following {
            guard case .running(let adopted) = await restarted.executor.reattach(record(request, handle: handle), job: nil) else {
                Issue.record("the running task was not adopted")
                return (RunOutcome?.none, ECSRunReport?.none)
            }
            #expect(adopted == handle)
            return (await restarted.executor.outcome(of: adopted), restarted.reports.report(for: request.run))
        }
        #expect(outcome == .failed(exitCode: 4, reason: "exited with code 4: Essential container in task exited"))
        #expect(report?.linesWritten == 2)
        let lines = try await journalEntries(["CRON_JOB=\(job.jobName)", "CRON_RUN_ID=201"])
        #expect(lines.map { $0["MESSAGE"] ?? "" } == ["before", "after"])
        #expect(try await world.tasks(of: job).count == 1)
    }

    /// The first daemon journalled part of the output before it died: the restarted one reads the
    /// stream from its head and writes only what the journal lacks.
    @Test func aReattachedRunWritesEachLineOnce() async throws {
        let world = try await World("once")
        let job = world.job("once")
        let request = world.request(job, command: "echo before; sleep 8; echo after", run: 207)
        let handle = try await world.following { () -> RunHandle in
            let handle = try await world.executor.start(request, output: CollectedOutput())
            #expect(try await poll(within: .seconds(15)) {
                try await journalEntries(["CRON_RUN_ID=207", "ECS_TASK_ARN=\(handle.reference)"]).count >= 1
            })
            return handle
        }
        let restarted = World(restarting: world)
        let outcome = try await restarted.following { () -> RunOutcome? in
            guard case .running(let adopted) = await restarted.executor.reattach(record(request, handle: handle), job: nil) else {
                Issue.record("the running task was not adopted")
                return nil
            }
            return await restarted.executor.outcome(of: adopted)
        }
        #expect(outcome == .succeeded)
        #expect(restarted.reports.report(for: request.run)?.linesWritten == 2)
        let lines = try await journalEntries(["CRON_RUN_ID=207", "ECS_TASK_ARN=\(handle.reference)"])
        #expect(lines.map { $0["MESSAGE"] ?? "" } == ["before", "after"])
    }

    /// The daemon died after RunTask but before the start was recorded: the ledger has the intent
    /// only. The task is found by its job's startedBy and its slot's tags; even stopped, it is
    /// followed (its output read) and recorded.
    @Test func aRunRecordedOnlyAsAnIntentIsFoundByItsTags() async throws {
        let world = try await World("intent")
        let job = world.job("intent")
        let request = world.request(job, command: "echo done", run: 202)
        let handle = try await world.executor.start(request, output: CollectedOutput())
        _ = try await poll(within: .seconds(10)) { try await world.tasks(of: job).first?.lastStatus == "STOPPED" }
        let restarted = World(restarting: world)
        let outcome = try await restarted.following { () -> RunOutcome? in
            guard case .running(let adopted) = await restarted.executor.reattach(record(request, handle: nil), job: nil) else {
                Issue.record("the task of the slot was not found")
                return nil
            }
            #expect(adopted == handle)
            return await restarted.executor.outcome(of: adopted)
        }
        #expect(outcome == .succeeded)
        #expect(restarted.reports.report(for: request.run)?.linesWritten == 1)
    }

    @Test func aRunWhoseTaskWasNeverStartedIsLost() async throws {
        let world = try await World("never")
        let job = world.job("never")
        let reattachment = await world.executor.reattach(record(world.request(job, command: "true", run: 203), handle: nil), job: nil)
        #expect(reattachment == .lost(reason: "its task was never started (no task of the slot in ECS)"))
    }

    @Test func aStartWhoseAnswerWasLostStartsOneTask() async throws {
        let world = try await World("lost")
        let job = world.job("lost")
        try await world.front.arm([.init("drop_response", on: "RunTask", times: 1)])
        let (outcome, _) = try await world.following { try await world.runToEnd(world.request(job, command: "true", run: 204)) }
        #expect(outcome == .succeeded)
        #expect(try await world.front.requests().filter { $0 == "ecs:RunTask" }.count == 2)
        #expect(try await world.tasks(of: job).count == 1)
    }

    @Test func throttlingAndServerErrorsAreSurvivedWithoutLosingTheSlot() async throws {
        let world = try await World("throttle")
        let job = world.job("throttle")
        try await world.front.arm([
            .init("throttle", on: "RegisterTaskDefinition", times: 2), .init("throttle", on: "ListTasks", times: 2),
            .init("throttle", on: "RunTask", times: 3), .init("error", on: "RunTask", status: 503, times: 1),
            .init("throttle", on: "DescribeTasks", times: 3), .init("error", on: "DescribeTasks", status: 500, times: 2),
            .init("throttle", on: "GetLogEvents", times: 3),
        ])
        let request = world.request(job, command: "echo one; echo two", run: 205, startDeadline: Date().addingTimeInterval(30))
        let (outcome, report) = try await world.following { try await world.runToEnd(request) }
        #expect(outcome == .succeeded)
        #expect(report?.linesWritten == 2)
        #expect(try await world.tasks(of: job).count == 1)
    }

    @Test func throttlingPastTheStartDeadlineFailsTheStartWithAWSsError() async throws {
        let world = try await World("deadline")
        let job = world.job("deadline")
        try await world.front.arm([.init("throttle", on: "RunTask", times: 1000)])
        await #expect {
            _ = try await world.executor.start(
                world.request(job, command: "true", run: 206, startDeadline: Date().addingTimeInterval(1.5)), output: CollectedOutput())
        } throws: { "\($0)".contains("ThrottlingException: Rate exceeded") }
        #expect(try await world.tasks(of: job).isEmpty)
    }
}
