import Foundation
import Glibc
import RunModel
import SchedulerTesting
import TestSupport
import Testing

@testable import Scheduler

/// `CRON_RETRIES` on a `local` job (#12): a failed attempt runs again within the same run, as a
/// Kubernetes Job's `backoffLimit` retries pods, on real child processes.
@Suite(.timeLimit(.minutes(1)))
struct LocalRetriesTests {
    /// Pauses of 50 ms doubling, instead of Kubernetes' 10 s, so the tests stay short.
    let executor = LocalExecutor(baseEnvironment: ["PATH": "/usr/bin:/bin"], stopGrace: .milliseconds(300), firstRetryPause: .milliseconds(50))
    let slot = Slot(job: "flaky", scheduledAt: instant("2026-11-02T10:00:00Z"))

    /// A counter file of its own, which the commands below count their attempts in.
    let counter = FileManager.default.temporaryDirectory.appendingPathComponent("fc-attempts-\(UUID().uuidString)").path

    /// A command that prints its attempt's number and fails until attempt `succeedsAt`.
    func attempt(succeedsAt: Int) -> String {
        "n=$(($(cat '\(counter)' 2>/dev/null || echo 0) + 1)); echo $n >'\(counter)'; echo \"attempt $n\"; [ $n -ge \(succeedsAt) ]"
    }

    func run(_ command: String, retries: Int, timeout: Duration? = nil) async throws -> (RunOutcome?, [OutputLine], RunHandle) {
        let sink = RecordingOutputSink()
        let request = RunRequest(
            slot: slot, run: RunID(rawValue: 9), trigger: .scheduled, command: command, environment: [:], timeout: timeout,
            retries: retries)
        let handle = try await executor.start(request, output: sink)
        let outcome = await executor.outcome(of: handle)
        await executor.cleanUp(handle)
        try? FileManager.default.removeItem(atPath: counter)
        return (outcome, sink.lines, handle)
    }

    @Test func aFailedAttemptRunsAgainUntilOneSucceedsEachWithItsOutput() async throws {
        let (outcome, lines, _) = try await run(attempt(succeedsAt: 3), retries: 4)
        #expect(outcome == .succeeded)
        #expect(lines.filter { $0.stream == .stdout }.map(\.text) == ["attempt 1", "attempt 2", "attempt 3"])
        // One line between attempts says which failed and how, and when the next starts (back-off doubles).
        #expect(lines.filter { $0.stream == .stderr }.map(\.text) == [
            "fargate-cron: attempt 1 of 5 failed with exit status 1; attempt 2 starts in 0.050 s",
            "fargate-cron: attempt 2 of 5 failed with exit status 1; attempt 3 starts in 0.100 s",
        ])
        #expect(lines.allSatisfy { $0.run == RunID(rawValue: 9) && $0.slot == slot }, "all attempts belong to the one run")
    }

    @Test func afterTheLastAttemptTheRunFailsWithItsStatus() async throws {
        let (outcome, lines, _) = try await run("echo try; exit 3", retries: 2)
        #expect(outcome == .failed(exitCode: 3, reason: "exited with status 3"))
        #expect(lines.filter { $0.stream == .stdout }.map(\.text) == ["try", "try", "try"])
    }

    /// The last attempt replaces the supervisor (`exec`), so a signal reads as it does without retries.
    @Test func aLastAttemptKilledByASignalReadsAsWithoutRetries() async throws {
        let (outcome, lines, _) = try await run("echo try; kill -TERM $$", retries: 1)
        #expect(outcome == .failed(exitCode: nil, reason: "killed by signal 15 (SIGTERM)"))
        // ("Terminated" is the supervisor shell's own note on its child's signal, as sh writes it in any crontab.)
        #expect(lines.filter { $0.stream == .stderr }.map(\.text) == [
            "Terminated", "fargate-cron: attempt 1 of 2 failed with exit status 143; attempt 2 starts in 0.050 s",
        ])
    }

    /// Every attempt runs under the process the ledger names for the run, so a restarted daemon
    /// adopts the run whatever attempt it is in, and no attempt runs beside a later slot's run.
    @Test func everyAttemptRunsUnderTheRunsOneProcess() async throws {
        // Attempts before the last are children of that process; the last is that process.
        let (outcome, lines, handle) = try await run("echo \"$PPID $$\"; exit 1", retries: 2)
        #expect(outcome == .failed(exitCode: 1, reason: "exited with status 1"))
        let pid = try #require(ProcessIdentity(reference: handle.reference)?.pid)
        let seen = lines.filter { $0.stream == .stdout }.map { $0.text.split(separator: " ").map { Int32($0) } }
        #expect(seen.count == 3)
        #expect(seen.dropLast().allSatisfy { $0.first == pid }, "parents \(seen), run \(pid)")
        #expect(seen.last?.last == pid, "the last attempt \(seen.last ?? []) is not process \(pid)")
    }

    @Test func aTimeoutCoversEveryAttemptAndStopsTheRetries() async throws {
        let executor = LocalExecutor(baseEnvironment: ["PATH": "/usr/bin:/bin"], stopGrace: .milliseconds(300), firstRetryPause: .seconds(30))
        let sink = RecordingOutputSink()
        let request = RunRequest(
            slot: slot, run: RunID(rawValue: 10), trigger: .scheduled, command: "echo try; exit 1", environment: [:],
            timeout: .milliseconds(300), retries: 5)
        let handle = try await executor.start(request, output: sink)
        // Stopped during the 30-second pause after the first attempt: SIGTERM to the whole group.
        #expect(await executor.outcome(of: handle)
            == .failed(exitCode: nil, reason: "timed out after 0.3 seconds and was stopped: killed by signal 15 (SIGTERM)"))
        #expect(sink.lines.filter { $0.stream == .stdout }.map(\.text) == ["try"])
        let pid = try #require(ProcessIdentity(reference: handle.reference)?.pid)
        #expect(try await poll(within: .seconds(5)) { kill(-pid, 0) != 0 && errno == ESRCH }, "the pause's sleep outlived the run")
        await executor.cleanUp(handle)
    }

    @Test func aCancelDuringTheBackOffEndsTheRun() async throws {
        let executor = LocalExecutor(baseEnvironment: ["PATH": "/usr/bin:/bin"], stopGrace: .milliseconds(300), firstRetryPause: .seconds(30))
        let sink = RecordingOutputSink()
        let request = RunRequest(
            slot: slot, run: RunID(rawValue: 11), trigger: .scheduled, command: "echo try; exit 1", environment: [:],
            timeout: nil, retries: 3)
        let handle = try await executor.start(request, output: sink)
        #expect(try await poll(within: .seconds(5)) { sink.lines.contains { $0.stream == .stderr } }, "no first failure")
        await executor.cancel(handle, reason: "replaced by a newer slot")
        #expect(await executor.outcome(of: handle) == .cancelled(reason: "replaced by a newer slot"))
        await executor.cleanUp(handle)
    }

    /// The command reaches the inner shell byte for byte: quotes, `$`, backslashes, newlines.
    @Test func theCommandIsPassedUnchanged() async throws {
        let command = "printf '%s|%s\\n' \"it's\" '$HOME \\\\ \"x\"'\necho 'second line'"
        let (plain, plainLines, _) = try await run(command, retries: 0)
        let (retried, retriedLines, _) = try await run(command, retries: 2)
        #expect(plain == .succeeded && retried == .succeeded)
        #expect(retriedLines.map(\.text) == plainLines.map(\.text))
        #expect(plainLines.map(\.text) == ["it's|$HOME \\\\ \"x\"", "second line"])
    }

    @Test func theBackOffDoublesFromItsFirstPauseUpToSixMinutes() {
        #expect(LocalRetries.pauses(retries: 8, first: .seconds(10)).map { $0.components.seconds } == [10, 20, 40, 80, 160, 320, 360, 360])
        #expect(LocalRetries.pauses(retries: 0, first: .seconds(10)).isEmpty)
        #expect(LocalRetries.command("true", retries: 0, firstPause: .seconds(10)) == "true", "no retries: the command as it is")
    }
}
