import RunModel
import ECS
import ECSExecutor
import Foundation
import Scheduler
import Testing

/// The pure decisions about one task: when to stop it, read its logs, and how its run ended.
struct TaskRunTests {
    let origin = Date(timeIntervalSince1970: 1_795_930_000)

    func run(timeout: Duration? = .seconds(60), logs: Bool = true) -> TaskRun {
        TaskRun(origin: origin, timeout: timeout, pendingTimeout: .seconds(30), container: "job", hasLogs: logs,
                logSettle: .seconds(5), missingGrace: .seconds(20))
    }

    func task(_ status: String, exitCode: Int32? = nil, stopCode: String? = nil, reason: String? = nil, containerReason: String? = nil) -> ECSTask {
        var task = ECSTask(taskArn: "arn:aws:ecs:us-east-1:1:task/c/abc", lastStatus: status,
                           containers: [ECSContainer(name: "job", exitCode: exitCode, reason: containerReason)])
        task.stopCode = stopCode
        task.stoppedReason = reason
        return task
    }

    func at(_ seconds: Double) -> Date { origin.addingTimeInterval(seconds) }

    @Test func aRunningTaskHasItsLogsRead() {
        var run = run()
        run.observe(task("PENDING"), now: at(1))
        #expect(run.next(now: at(1)).isEmpty)  // no output before the container runs
        run.observe(task("RUNNING"), now: at(2))
        #expect(run.next(now: at(2)) == [.readLogs])
    }

    @Test func aStoppedTaskFinishesOnlyOnceItsStreamIsDrainedAfterTheSettleTime() {
        var run = run()
        run.observe(task("STOPPED", exitCode: 0, stopCode: "EssentialContainerExited"), now: at(10))
        #expect(run.next(now: at(10)) == [.readLogs])
        run.logsRead(foundEvents: false, startedAt: at(11))  // too early: a late batch may still come
        #expect(run.next(now: at(11)) == [.readLogs])
        run.logsRead(foundEvents: true, startedAt: at(16))  // a late batch
        #expect(run.next(now: at(16)) == [.readLogs])
        run.logsRead(foundEvents: false, startedAt: at(17))
        #expect(run.next(now: at(17)) == [.finish(.succeeded)])
        #expect(run.next(now: at(18)).isEmpty)  // once
    }

    @Test func withoutLogsAStoppedTaskFinishesAtOnce() {
        var run = run(logs: false)
        run.observe(task("STOPPED", exitCode: 2, reason: "Essential container in task exited"), now: at(3))
        #expect(run.next(now: at(3)) == [.finish(.failed(exitCode: 2, reason: "exited with code 2: Essential container in task exited"))])
    }

    @Test func aTaskStillStartingAtThePendingTimeoutIsStoppedOnceAndFailedWithECSsReason() {
        var run = run()
        run.observe(task("PROVISIONING"), now: at(29))
        #expect(run.next(now: at(29)).isEmpty)
        run.observe(task("PENDING"), now: at(30))
        let stop = "fargate-cron: still PENDING after 30s (CRON_PENDING_TIMEOUT)"
        #expect(run.next(now: at(30)) == [.stop(reason: stop)])
        #expect(run.next(now: at(31)) == [.stop(reason: stop)])  // until StopTask goes through
        run.stopWasDelivered()
        #expect(run.next(now: at(32)).isEmpty)
        run.observe(task("STOPPED", stopCode: "UserInitiated", reason: stop, containerReason: "ResourceInitializationError: unable to pull secrets"), now: at(33))
        run.logsRead(foundEvents: false, startedAt: at(40))
        #expect(run.next(now: at(40)) == [.finish(.failed(
            exitCode: nil, reason: "stuck PENDING for 30s (CRON_PENDING_TIMEOUT): its task was stopped: ResourceInitializationError: unable to pull secrets"))])
    }

    @Test func aTaskRunningPastItsTimeoutIsStopped() {
        var run = run(timeout: .seconds(60))
        run.observe(task("RUNNING"), now: at(59))
        #expect(run.next(now: at(59)) == [.readLogs])
        #expect(run.next(now: at(60)) == [.stop(reason: "fargate-cron: ran longer than its timeout of 1m (CRON_TIMEOUT)"), .readLogs])
        run.stopWasDelivered()
        run.observe(task("STOPPED", exitCode: 137, stopCode: "UserInitiated", reason: "fargate-cron: ran longer than its timeout of 1m (CRON_TIMEOUT)"), now: at(62))
        run.logsRead(foundEvents: false, startedAt: at(70))
        #expect(run.next(now: at(70)) == [.finish(.failed(exitCode: 137, reason: "timed out after 1m (CRON_TIMEOUT): its task was stopped"))])
    }

    @Test func aTaskThatEndedByItselfAsItTimedOutKeepsItsOwnOutcome() {
        var run = run(timeout: .seconds(60), logs: false)
        run.observe(task("RUNNING"), now: at(60))
        _ = run.next(now: at(60))
        run.observe(task("STOPPED", exitCode: 0, stopCode: "EssentialContainerExited", reason: "Essential container in task exited"), now: at(61))
        #expect(run.next(now: at(61)) == [.finish(.succeeded)])
    }

    @Test func aCancelStopsTheTaskAndTheRunIsCancelled() {
        var run = run(logs: false)
        run.observe(task("RUNNING"), now: at(5))
        run.cancel(reason: "replaced by the slot at 2026-11-29T06:31:00Z")
        #expect(run.next(now: at(5)) == [.stop(reason: "fargate-cron: replaced by the slot at 2026-11-29T06:31:00Z")])
        run.stopWasDelivered()
        run.observe(task("STOPPED", exitCode: 143, stopCode: "UserInitiated"), now: at(6))
        #expect(run.next(now: at(6)) == [.finish(.cancelled(reason: "replaced by the slot at 2026-11-29T06:31:00Z"))])
    }

    @Test func aCancelOfAStoppedTaskChangesNothing() {
        var run = run(logs: false)
        run.observe(task("STOPPED", exitCode: 0), now: at(5))
        run.cancel(reason: "too late")
        #expect(run.next(now: at(5)) == [.finish(.succeeded)])
    }

    @Test func aTaskECSStopsWithoutAnExitCodeIsAPlatformFailure() {
        let spot = task("STOPPED", stopCode: "SpotInterruption", reason: "Your Spot Task was interrupted.")
        #expect(TaskRun.outcome(of: spot, container: "job", stop: nil)
                == .failed(exitCode: nil, reason: "platform failure: SpotInterruption: Your Spot Task was interrupted."))
    }

    @Test func aTaskMissingLongerThanTheGraceIsLost() {
        var run = run()
        run.observe(nil, now: at(1))  // just after RunTask, ECS may not know it yet
        #expect(run.next(now: at(1)).isEmpty)
        run.observe(task("RUNNING"), now: at(2))
        run.observe(nil, now: at(3))
        run.observe(nil, now: at(22))
        #expect(run.next(now: at(22)) == [.readLogs])  // 19 s of 20
        #expect(run.next(now: at(23)) == [.finish(.failed(exitCode: nil, reason: "its task is not known to ECS (MISSING for 20s)"))])
    }

    /// Whose a failure was, as the ledger records it (`failureCause`).
    @Test func aFailedRunsCauseIsTheContainersTheTimeoutsOrThePlatforms() {
        let exited = task("STOPPED", exitCode: 3, stopCode: "EssentialContainerExited")
        #expect(TaskRun.failureCause(of: exited, container: "job", stop: nil) == .exitStatus)
        let oom = task("STOPPED", exitCode: 137, stopCode: "EssentialContainerExited",
                       containerReason: "OutOfMemoryError: Container killed due to memory usage")
        #expect(TaskRun.failureCause(of: oom, container: "job", stop: nil) == .outOfMemory)
        let stopped = task("STOPPED", exitCode: 143, stopCode: "UserInitiated", reason: "fargate-cron: ran longer than its timeout of 2s (CRON_TIMEOUT)")
        #expect(TaskRun.failureCause(of: stopped, container: "job", stop: .timedOut(after: .seconds(2))) == .timedOut)
        let stuck = task("STOPPED", stopCode: "UserInitiated", reason: "fargate-cron: still PENDING after 30s (CRON_PENDING_TIMEOUT)")
        #expect(TaskRun.failureCause(of: stuck, container: "job", stop: .stuckStarting(after: .seconds(30), status: "PENDING")) == .stuckStarting)
        // A task that exited by itself as the timeout came keeps its own cause.
        #expect(TaskRun.failureCause(of: exited, container: "job", stop: .timedOut(after: .seconds(2))) == .exitStatus)
        let spot = task("STOPPED", stopCode: "SpotInterruption", reason: "Your Spot Task was interrupted.")
        #expect(TaskRun.failureCause(of: spot, container: "job", stop: nil) == .platform)
        #expect(TaskRun.failureCause(of: nil, container: "job", stop: nil) == .platform)  // lost
        #expect(TaskRun.failureCause(of: task("STOPPED", exitCode: 0), container: "job", stop: nil) == nil)
        #expect(TaskRun.failureCause(of: stopped, container: "job", stop: .cancelled("replaced")) == nil)
    }
}
