import ECS
import ECSTestSupport
import Foundation
import Ledger
import RunModel
import TestSupport
import Testing

/// The real daemon's `ecs` jobs under `forbid`, `replace` and `CRON_TIMEOUT`, and with AWS throttling
/// it, against moto behind its own ECS front (which runs each task as a local process, so tasks take
/// the time their commands take).
@Suite(.enabled(if: Moto.isAvailableWithJournal, "needs moto and journald (scripts/test starts them)"), .serialized,
       .timeLimit(.minutes(5)))
struct DaemonPoliciesOnMotoTests {
    /// Three jobs in one daemon, each every five seconds: one under `forbid` that runs for 7 s, one
    /// under `replace` that would run for 30 s, and one whose 2 s timeout stops its task.
    @Test func forbidSkipsReplaceStopsTheOldTaskAndATimeoutStopsTheTask() async throws {
        let setup = try await DaemonOnMotoTests.Setup()
        let (forbid, replace, timeout) = (Moto.unique("forbid"), Moto.unique("replace"), Moto.unique("timeout"))
        try setup.daemon.write("forbid.cron", setup.schedule(job: forbid, command: "echo up; sleep 7", concurrency: "forbid"))
        try setup.daemon.write("replace.cron", setup.schedule(job: replace, command: "echo up; sleep 30", concurrency: "replace"))
        try setup.daemon.write("timeout.cron", setup.schedule(
            job: timeout, command: "echo started; sleep 30", concurrency: "allow", settings: ["CRON_TIMEOUT=2s"]))
        try setup.daemon.start()
        defer { setup.daemon.cleanUp() }
        var (forbidRuns, replaceRuns, timeoutRuns) = ([Run](), [Run](), [Run]())
        let enough = try await poll(within: .seconds(120)) {
            forbidRuns = try setup.daemon.runs(of: forbid)
            replaceRuns = try setup.daemon.runs(of: replace)
            timeoutRuns = try setup.daemon.runs(of: timeout)
            return forbidRuns.filter { $0.state == .succeeded && $0.reportedAt != nil }.count >= 2
                && forbidRuns.contains { $0.state == .skipped }
                && replaceRuns.filter { $0.state == .replaced && $0.reportedAt != nil }.count >= 2
                && timeoutRuns.filter { $0.state == .failed && $0.reportedAt != nil }.count >= 2
        }
        #expect(enough, "\(setup.daemon.log)")
        #expect(try await setup.daemon.terminate() == 0)

        // forbid: a slot that comes while the task runs is skipped, blocked by that run; the tasks
        // ECS ran never overlap (ECS's own times: created, then stopped, before the next is created).
        let forbidTasks = try await setup.tasks(of: forbid)
        #expect(forbidTasks.oncePerSlot)
        #expect(forbidRuns.filter { $0.state == .skipped }.allSatisfy { $0.blockedBy != nil && $0.handle == nil })
        let ran = forbidRuns.filter { $0.state == .succeeded && $0.reportedAt != nil }.sorted { $0.scheduledAt < $1.scheduledAt }
        for (earlier, later) in zip(ran, ran.dropFirst()) {
            let stopped = try #require(earlier.podFinishedAt), created = try #require(later.podCreatedAt)
            #expect(stopped <= created, "run \(later.id)'s task was created before run \(earlier.id)'s stopped")
        }
        #expect(forbidTasks.tasks.count == forbidRuns.filter { $0.handle != nil }.count)

        // replace: the old run is recorded as replaced, its task stopped by fargate-cron, and its
        // end (cost, output) still recorded.
        let replaceTasks = try await setup.tasks(of: replace)
        #expect(replaceTasks.oncePerSlot)
        for run in replaceRuns where run.state == .replaced && run.reportedAt != nil {
            let task = try #require(replaceTasks.tasks.first { $0.taskArn == run.handle?.reference }, "run \(run.id) has no task")
            #expect(task.desiredStatus == "STOPPED" && task.stopCode == "UserInitiated" && task.exitCode == 143)
            #expect(task.stoppedReason?.hasPrefix("fargate-cron: replaced by the slot at") == true, "\(task.stoppedReason ?? "-")")
            #expect(run.billedDuration != nil && run.outputLines == 1)
        }

        // CRON_TIMEOUT: the task is stopped at 2 s and the run fails with the timeout as its cause.
        let timeoutTasks = try await setup.tasks(of: timeout)
        for run in timeoutRuns where run.state == .failed && run.reportedAt != nil {
            #expect(run.reason == "timed out after 2s (CRON_TIMEOUT): its task was stopped", "\(run.reason ?? "-")")
            #expect(run.exitCode == 143 && run.failureCause == .deadlineExceeded && run.outputLines == 1)
            let task = try #require(timeoutTasks.tasks.first { $0.taskArn == run.handle?.reference })
            #expect(task.stoppedReason == "fargate-cron: ran longer than its timeout of 2s (CRON_TIMEOUT)")
        }
    }

    /// After a first clean run, AWS throttles and fails every kind of call an `allow` job's runs make
    /// (and loses one RunTask answer); every slot still gets exactly one task, started within its
    /// 10 s starting deadline (the retries take up to about 3 s; a loaded machine adds to that), and
    /// succeeds. (`allow`, so that a slot is never skipped because the throttled poller saw the
    /// previous run's end late; ListTasks' faults are in the executor's RestartAndFaultTests.)
    @Test func throttlingAndServerErrorsLoseNoSlot() async throws {
        let setup = try await DaemonOnMotoTests.Setup()
        let job = Moto.unique("throttled")
        try setup.daemon.write("ecs.cron", setup.schedule(
            job: job, command: "echo tick", concurrency: "allow", settings: ["CRON_STARTING_DEADLINE=10s"]))
        try setup.daemon.start()
        defer { setup.daemon.cleanUp() }
        #expect(try await poll(within: .seconds(60)) {
            try setup.daemon.runs(of: job).contains { $0.state == .succeeded }
        }, "\(setup.daemon.log)")
        let faults: [MotoFront.Fault] = [
            .init("throttle", on: "RunTask", times: 2),
            .init("error", on: "RunTask", status: 503, times: 1), .init("drop_response", on: "RunTask", times: 1),
            .init("throttle", on: "DescribeTasks", times: 4), .init("error", on: "DescribeTasks", status: 500, times: 2),
            .init("throttle", on: "GetLogEvents", times: 3), .init("error", on: "GetLogEvents", status: 503, times: 1),
        ]
        try await setup.front.arm(faults)
        let armedAt = Date()
        var runs: [Run] = []
        #expect(try await poll(within: .seconds(90)) {
            runs = try setup.daemon.runs(of: job)
            return runs.filter { $0.scheduledAt > armedAt && $0.state.isTerminal && $0.reportedAt != nil }.count >= 4
        }, "\(setup.daemon.log)")
        #expect(try await setup.daemon.terminate() == 0)

        // Every fault was served (each is a request the front answered with it), ...
        let requests = try await setup.front.requests()
        let (tasks, oncePerSlot) = try await setup.tasks(of: job)
        #expect(requests.filter { $0 == "ecs:RunTask" }.count >= tasks.count + 4)
        // ... yet every slot from the first to the last has one run, succeeded, and one task.
        let ended = runs.filter { $0.state.isTerminal }.sorted { $0.scheduledAt < $1.scheduledAt }
        #expect(ended.allSatisfy { $0.state == .succeeded && $0.outputLines == 1 }, "\(ended.map { "\($0.state) \($0.reason ?? "")" })")
        for (earlier, later) in zip(ended, ended.dropFirst()) {
            #expect(later.scheduledAt.timeIntervalSince(earlier.scheduledAt) == 5, "a slot was lost after \(utc(earlier.scheduledAt))")
        }
        #expect(oncePerSlot, "a slot has two tasks: \(tasks.map { $0.tag("fargate-cron/scheduled-at") ?? "?" })")
        #expect(tasks.count == runs.filter { $0.handle != nil }.count)
    }
}
