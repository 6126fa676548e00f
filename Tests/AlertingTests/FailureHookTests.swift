import Alerting
import Foundation
import Glibc
import RunModel
import Scheduler
import TestSupport
import Testing

/// `CRON_ON_FAILURE` as real `/bin/sh` processes.
@Suite struct FailureHookTests {
    /// The hook sees the run's fields in its environment and the output tail on its standard input.
    @Test func theHookReceivesTheFieldsAndTheOutputTail() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let hook = FailureHook(
            command: "env > '\(folder.path)/env'; cat > '\(folder.path)/stdin'", timeout: .seconds(30))
        let result = try await hook.run(for: failedAlert(output: tail(lines: 60)), base: hostEnvironment)
        #expect(result.outcome == .succeeded)

        let environment = try String(contentsOf: folder.appendingPathComponent("env"), encoding: .utf8)
            .split(separator: "\n").reduce(into: [String: String]()) { fields, line in
                let pair = line.split(separator: "=", maxSplits: 1)
                if pair.count == 2 { fields[String(pair[0])] = String(pair[1]) }
            }
        #expect(environment["CRON_JOB"] == "nightly-report")
        #expect(environment["CRON_RUN_ID"] == "42")
        #expect(environment["CRON_SCHEDULED_AT"] == "2026-11-29T03:30:00Z")
        #expect(environment["CRON_REASON"] == "exited with status 2")
        #expect(environment["EXIT_CODE"] == "2")
        #expect(environment["CRON_EVENT"] == "failed")
        #expect(environment["CRON_EXECUTOR"] == "local")
        #expect(environment["PATH"] == hostEnvironment["PATH"])

        let input = try String(contentsOf: folder.appendingPathComponent("stdin"), encoding: .utf8)
        let lines = input.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 51)  // the last 50 lines, each with its newline
        #expect(lines.first == "line 11 of the report")
        #expect(lines[49] == "line 60 of the report")
    }

    /// Fields a case does not have are absent, not empty: an overdue job has no run.
    @Test func anOverdueJobsHookHasNoRunFields() {
        let alert = Alert(.overdue, job: "backup", command: "b", reason: "no success within 26h", lastSuccess: slot)
        let environment = FailureHook.environment(for: alert, base: [:])
        #expect(environment["CRON_RUN_ID"] == nil)
        #expect(environment["EXIT_CODE"] == nil)
        #expect(environment["CRON_EVENT"] == "overdue")
        #expect(environment["CRON_LAST_SUCCESS"] == "2026-11-29T03:30:00Z")
    }

    /// A hook that hangs is stopped at its bound: SIGTERM to its whole process group (a child it
    /// started goes too), and the result says it timed out.
    @Test func aHangingHookIsKilledAtItsBound() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let pidFile = folder.appendingPathComponent("child.pid")
        let hook = FailureHook(command: "sleep 600 & echo $! > '\(pidFile.path)'; wait", timeout: .milliseconds(800), stopGrace: .seconds(1))
        let started = ContinuousClock.now
        let result = try await hook.run(for: failedAlert(), base: hostEnvironment)
        let took = ContinuousClock.now - started
        #expect(result.timedOut)
        guard case .failed(_, let reason) = result.outcome else {
            Issue.record("expected a failure, got \(result.outcome)")
            return
        }
        #expect(reason.hasPrefix("timed out after"))
        #expect(reason.contains("SIGTERM"))
        #expect(took >= .milliseconds(800))
        #expect(took < .seconds(20))
        let child = try #require(Int32(try String(contentsOf: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        // The background `sleep` was in the hook's process group: it is gone too (or a zombie of init).
        #expect(try await poll(within: .seconds(5)) { kill(child, 0) != 0 || isZombie(child) })
    }

    /// A hook that ignores SIGTERM gets SIGKILL after the grace period.
    @Test func aHookThatIgnoresSIGTERMIsKilled() async throws {
        let hook = FailureHook(command: "trap '' TERM; while :; do sleep 0.1; done", timeout: .milliseconds(300), stopGrace: .milliseconds(300))
        let result = try await hook.run(for: failedAlert(), base: hostEnvironment)
        #expect(result.timedOut)
        guard case .failed(_, let reason) = result.outcome else {
            Issue.record("expected a failure, got \(result.outcome)")
            return
        }
        #expect(reason.contains("SIGKILL"))
    }

    /// Its own failure is the result, with what it said, for the caller to report.
    @Test func aFailingHookReportsItsStatusAndWords() async throws {
        let hook = FailureHook(command: "echo 'pager unreachable' >&2; exit 3", timeout: .seconds(30))
        let result = try await hook.run(for: failedAlert(), base: hostEnvironment)
        #expect(result.outcome == .failed(exitCode: 3, reason: "exited with status 3"))
        #expect(result.output.text == ["pager unreachable"])
        #expect(!result.timedOut)
    }

    /// A hook that never reads its standard input does not block anything, however long the tail.
    @Test func aHookThatIgnoresItsInputIsNotBlocked() async throws {
        var output = OutputTail(maximumLines: 1000, maximumBytes: 1 << 20)
        for _ in 0..<1000 { output.append([UInt8](repeating: UInt8(ascii: "x"), count: 800)) }
        var alert = failedAlert()
        alert.output = output
        let result = try await FailureHook(command: "exit 0", timeout: .seconds(30)).run(for: alert, base: hostEnvironment)
        #expect(result.outcome == .succeeded)
    }

    /// A cancelled task (the daemon stopping) stops the hook.
    @Test func cancellingStopsTheHook() async throws {
        let task = Task { try await FailureHook(command: "sleep 600", timeout: .seconds(600)).run(for: failedAlert(), base: hostEnvironment) }
        task.cancel()
        let result = try await task.value
        #expect(result.outcome == .cancelled(reason: "the daemon is stopping"))
    }
}

/// Whether `pid` is a zombie (ended, not yet reaped by its parent).
func isZombie(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")")
    else { return false }
    return stat[stat.index(close, offsetBy: 2)] == "Z"
}
