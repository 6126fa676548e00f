import Foundation
import Logging
import Glibc
import RunModel
import SchedulerTesting
import TestSupport
import Testing

@testable import Scheduler

/// The `local` executor on real child processes.
@Suite(.timeLimit(.minutes(1)))
struct LocalExecutorTests {
    let executor = LocalExecutor(baseEnvironment: ["PATH": "/usr/bin:/bin"], stopGrace: .milliseconds(300))
    let slot = Slot(job: "report", scheduledAt: instant("2026-11-02T10:00:00Z"))

    func request(_ command: String, environment: [String: String] = [:], timeout: Duration? = nil) -> RunRequest {
        RunRequest(
            slot: slot, run: RunID(rawValue: 7), trigger: .scheduled, command: command, environment: environment,
            timeout: timeout)
    }

    /// Starts `command` and waits for its outcome.
    func run(_ command: String, environment: [String: String] = [:], timeout: Duration? = nil) async throws -> (
        RunOutcome?, [OutputLine]
    ) {
        let sink = RecordingOutputSink()
        let handle = try await executor.start(request(command, environment: environment, timeout: timeout), output: sink)
        let outcome = await executor.outcome(of: handle)
        await executor.cleanUp(handle)
        return (outcome, sink.lines)
    }

    @Test func aCommandThatExitsZeroSucceedsWithItsOutputLineByLine() async throws {
        let (outcome, lines) = try await run(
            "echo one; echo two >&2; printf 'x=%s job=%s\\n' \"$X\" \"$CRON_JOB\"; printf 'no newline'",
            environment: ["X": "a b"])
        #expect(outcome == .succeeded)
        #expect(lines.filter { $0.stream == .stdout }.map(\.text) == ["one", "x=a b job=report", "no newline"])
        #expect(lines.filter { $0.stream == .stderr }.map(\.text) == ["two"])
        #expect(lines.allSatisfy { $0.run == RunID(rawValue: 7) && $0.slot == slot })
    }

    @Test func aNonZeroExitStatusFailsTheRunWithThatStatus() async throws {
        let (outcome, _) = try await run("exit 3")
        #expect(outcome == .failed(exitCode: 3, reason: "exited with status 3"))
    }

    @Test func aCommandKilledByASignalFailsNamingTheSignal() async throws {
        let (outcome, _) = try await run("kill -SEGV $$")
        #expect(outcome == .failed(exitCode: nil, reason: "killed by signal 11 (SIGSEGV)"))
    }

    /// Every standard signal by its name; one without a name (a real-time signal) by its number alone.
    @Test(arguments: [
        ("kill -TERM $$", "killed by signal 15 (SIGTERM)"), ("kill -USR1 $$", "killed by signal 10 (SIGUSR1)"),
        ("kill -ALRM $$", "killed by signal 14 (SIGALRM)"), ("kill -40 $$", "killed by signal 40"),
    ])
    func aSignalReadsByItsName(_ command: String, _ reason: String) async throws {
        let (outcome, _) = try await run(command)
        #expect(outcome == .failed(exitCode: nil, reason: reason))
    }

    @Test func tenThousandLinesArriveInOrder() async throws {
        let (outcome, lines) = try await run("seq 1 10000")
        #expect(outcome == .succeeded)
        #expect(lines.map(\.text) == (1...10000).map(String.init))
    }

    @Test func aTimeoutStopsTheWholeProcessGroupWithSigterm() async throws {
        let (outcome, lines) = try await run("sleep 30 & echo $!; wait", timeout: .milliseconds(200))
        #expect(outcome == .failed(exitCode: nil, reason: "timed out after 0.2 seconds and was stopped: killed by signal 15 (SIGTERM)"))
        // The background `sleep` was in the run's process group, so it was stopped too.
        let pid = try #require(lines.first.flatMap { Int32($0.text) })
        // (Signals are delivered asynchronously: give it a bounded moment to be gone.)
        #expect(try await poll(within: .seconds(5)) { ProcessIdentity.of(pid).map(\.isAlive) != true })
    }

    @Test func aCommandThatIgnoresSigtermGetsSigkillAfterTheGrace() async throws {
        let (outcome, _) = try await run("trap '' TERM; while :; do sleep 0.05; done", timeout: .milliseconds(100))
        #expect(outcome == .failed(exitCode: nil, reason: "timed out after 0.1 seconds and was stopped: killed by signal 9 (SIGKILL)"))
    }

    @Test func aCancelStopsTheRunAndRecordsWhy() async throws {
        let sink = RecordingOutputSink()
        let handle = try await executor.start(request("echo started; sleep 30"), output: sink)
        await executor.cancel(handle, reason: "replaced by a newer slot")
        #expect(await executor.outcome(of: handle) == .cancelled(reason: "replaced by a newer slot"))
    }

    @Test func aRestartedDaemonAdoptsAProcessThatSurvivedAndSeesItEnd() async throws {
        let sink = RecordingOutputSink()
        let handle = try await executor.start(request("exec sleep 30"), output: sink)
        let record = RunRecord(id: RunID(rawValue: 7), slot: slot, trigger: .scheduled, state: .started, handle: handle)
        // A second executor stands for the restarted daemon: it did not spawn the process.
        let restarted = LocalExecutor(baseEnvironment: [:], stopGrace: .milliseconds(300))
        #expect(await restarted.reattach(record, job: nil) == .running(handle))
        let identity = try #require(ProcessIdentity(reference: handle.reference))
        #expect(kill(identity.pid, SIGTERM) == 0)
        #expect(
            await restarted.outcome(of: handle)
                == .failed(exitCode: nil, reason: "it ended after a daemon restart adopted it; its exit status is unknown"))
        _ = await executor.outcome(of: handle)
    }

    @Test func aRestartedDaemonMarksARecycledPidAsLost() async throws {
        // Our own pid with another start time: the pid was reused, the run's process is gone.
        let handle = RunHandle(executor: .local, reference: "pid=\(getpid()) start=1")
        let record = RunRecord(id: RunID(rawValue: 7), slot: slot, trigger: .scheduled, state: .started, handle: handle)
        #expect(
            await executor.reattach(record, job: nil)
                == .lost(reason: "process \(getpid()) ended while the daemon was down; its exit status is unknown"))
        let intended = RunRecord(id: RunID(rawValue: 8), slot: slot, trigger: .scheduled, state: .intended)
        #expect(
            await executor.reattach(intended, job: nil)
                == .lost(reason: "the daemon stopped between recording the run and starting its process"))
    }

    @Test func theSchedulerRunsALocalJobAndRecordsItsExitStatus() async throws {
        let t0 = instant("2026-11-02T10:00:00Z")
        var failing = job("failing", every: .seconds(60))
        failing.command = "echo about to fail; exit 4"
        failing.executor = .local
        let clock = ManualClock(t0)
        let store = InMemoryRunStore()
        let sink = RecordingOutputSink()
        let scheduler = Scheduler(
            jobs: [failing], clock: clock, store: store, executors: [.local: executor], output: sink,
            logger: .init(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await scheduler.run() }
            await scheduler.settle()  // loaded at t0, so the slot at t0 + 60 s is on time
            clock.advance(to: t0.adding(.seconds(60)))
            await scheduler.settle()
            let records = await store.wait { $0.first?.state.isTerminal == true }
            #expect(records.map(\.state) == [.ended(.failed(exitCode: 4, reason: "exited with status 4"))])
            #expect(sink.lines.map(\.text) == ["about to fail"])
            scheduler.stop()
            try await group.waitForAll()
        }
    }
}
