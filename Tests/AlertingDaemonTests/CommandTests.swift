import Foundation
import Ledger
import RunModel
import TestSupport
import Testing

/// The commands users reach for (#17, Show): `trigger --wait` returns the job's exit code,
/// `status JOB` shows its last success and failure, `logs --state-dir` separates two daemons.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct CommandTests {
    @Test func triggerWaitReturnsTheJobsExitCode() async throws {
        let daemon = try DaemonProcess(prefix: "fc-wait")
        defer { daemon.cleanUp() }
        try daemon.write(
            "jobs.cron",
            """
            CRON_EXECUTOR=local
            0 3 1 1 * good echo fine
            0 3 1 1 * bad echo broken >&2; exit 7
            0 3 1 1 * slow sleep 5
            0 3 1 1 * killed kill -9 $$

            """)
        try daemon.start(arguments: ["--without-cluster"])
        #expect(try await daemon.waitUntilRunning())

        let good = try await daemon.command(["trigger", "good", "--wait"])
        #expect(good.status == 0)
        let goodRun = try #require(try daemon.alertingRuns(of: "good").first)
        #expect(good.output.contains("good: started run \(goodRun.id)"))
        #expect(good.output.contains("run \(goodRun.id) of good succeeded"))

        let bad = try await daemon.command(["trigger", "bad", "--wait"])
        #expect(bad.status == 7, "\(bad.output)\(bad.errors)")
        #expect(bad.output.contains("failed (exit code 7: exited with status 7)"))

        let killed = try await daemon.command(["trigger", "killed", "--wait"])
        #expect(killed.status == 124, "no exit code of its own: \(killed.output)")

        // Under forbid, a second trigger while the first runs is skipped: 75.
        let first = try daemon.spawn(["trigger", "slow", "--state-dir", daemon.state.path], log: daemon.folder.appendingPathComponent("t1.log"))
        first.waitUntilExit()
        #expect(first.terminationStatus == 0)
        let skipped = try await daemon.command(["trigger", "slow", "--wait"])
        #expect(skipped.status == 75, "\(skipped.output)\(skipped.errors)")

        // status JOB: the last success and the last failure, from the ledger.
        let status = try await daemon.command(["status", "bad", "--crontabs", daemon.crontabs.path])
        #expect(status.status == 0)
        #expect(status.output.contains("job:          bad"))
        #expect(status.output.contains("last success: none"))
        let badRun = try #require(try daemon.alertingRuns(of: "bad").first)
        #expect(status.output.contains("last failure: run \(badRun.id) at "))
        #expect(status.output.contains(", exit code 7: exited with status 7"))
        #expect(status.output.contains("overdue:      not watched (no CRON_ALERT_AFTER)"))
        let goodStatus = try await daemon.command(["status", "good", "--crontabs", daemon.crontabs.path])
        #expect(goodStatus.output.contains("last success: run \(goodRun.id) at "))
        let unknown = try await daemon.command(["status", "nope", "--crontabs", daemon.crontabs.path])
        #expect(unknown.status == 1)
        #expect(try await daemon.terminate() == 0)
    }

    /// Two daemons on one host, each with a job of the same name, both logging to the journal:
    /// `logs --state-dir` shows each one's output only.
    @Test(.enabled(if: PeerEnvironment.hasJournald, "needs journald (scripts/test starts it)"))
    func logsStateDirSeparatesTwoDaemons() async throws {
        let one = try DaemonProcess(prefix: "fc-one")
        let two = try DaemonProcess(prefix: "fc-two")
        defer {
            one.cleanUp()
            two.cleanUp()
        }
        let marker = UUID().uuidString.prefix(8)
        for (daemon, name) in [(one, "one"), (two, "two")] {
            daemon.logsToJournal = true
            try daemon.write("same.cron", "CRON_EXECUTOR=local\n@reboot same echo 'from daemon \(name) \(marker)'\n")
            try daemon.start(arguments: ["--without-cluster"])
        }
        for daemon in [one, two] {
            #expect(try await poll(within: .seconds(20)) { try daemon.alertingRuns(of: "same").first?.state == .succeeded })
        }
        var seen: (one: String, two: String, both: String) = ("", "", "")
        #expect(try await poll(within: .seconds(20)) {
            seen.one = try await one.command(["logs", "same", "--state-dir", one.state.path]).output
            seen.two = try await one.command(["logs", "same", "--state-dir", two.state.path]).output
            seen.both = try await one.command(["logs", "same"]).output
            return seen.one.contains("from daemon one \(marker)") && seen.two.contains("from daemon two \(marker)")
                && seen.both.contains("from daemon one \(marker)") && seen.both.contains("from daemon two \(marker)")
        }, "logs:\n\(seen)")
        #expect(!seen.one.contains("from daemon two \(marker)"))
        #expect(!seen.two.contains("from daemon one \(marker)"))
        #expect(try await one.terminate() == 0)
        #expect(try await two.terminate() == 0)
    }
}
