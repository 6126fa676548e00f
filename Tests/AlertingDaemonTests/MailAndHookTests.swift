import Foundation
import Ledger
import RunModel
import TestSupport
import Testing

/// MAILTO and CRON_ON_FAILURE through the real daemon (#17, Show): a failing local job's mail
/// reaches a real MTA on 127.0.0.1; MAILTO="" sends nothing; the hook gets the fields and the tail
/// and is killed at its bound; a missing sendmail is a `check` warning and a journal event.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct MailAndHookTests {
    @Test(.enabled(if: MailPeer.isAvailable, "needs the smtp peer (scripts/test starts it)"))
    func aFailingLocalJobsMailArrivesAndMailtoEmptySendsNothing() async throws {
        let daemon = try DaemonProcess(prefix: "fc-mail")
        defer { daemon.cleanUp() }
        let recipient = MailPeer.uniqueRecipient()
        try daemon.write(
            "mail.cron",
            """
            CRON_EXECUTOR=local
            MAILTO=\(recipient)
            MAILFROM=cron@example.com
            @reboot report for i in $(seq 1 80); do echo "report line $i"; done; echo 'disk full' >&2; exit 4
            MAILTO=""
            @reboot silent echo 'nobody reads this'; exit 5

            """)
        try daemon.start(arguments: ["--without-cluster", "--sendmail", try #require(MailPeer.sendmail)])
        var mail: [String] = []
        #expect(try await poll(within: .seconds(30)) {
            mail = try MailPeer.messages(to: recipient)
            return !mail.isEmpty
        }, "no mail arrived; log:\n\(daemon.log)")
        let message = try #require(mail.first)
        let run = try #require(try daemon.alertingRuns(of: "report").first)
        #expect(message.contains("From: cron@example.com (Cron Daemon)\n"))
        #expect(message.contains("Subject: Cron <report@"))
        #expect(message.contains("X-Cron-Env: <CRON_RUN_ID=\(run.id)>"))
        #expect(message.contains("Run \(run.id) of report failed with exit code 4."))
        #expect(message.contains("  exit code     4\n"))
        #expect(message.contains("  reason        exited with status 4\n"))
        #expect(message.contains("The last 50 of its 81 lines of output:"))
        #expect(message.contains("\nreport line 80\n"))
        #expect(message.contains("\ndisk full\n"))
        #expect(!message.contains("\nreport line 30\n"))
        #expect(message.contains("fargate-cron logs report --run \(run.id) --state-dir \(daemon.state.path)"))

        // The silent job's run failed too (its mail would have gone out beside the report's).
        #expect(try await poll(within: .seconds(10)) { try daemon.alertingRuns(of: "silent").first?.state == .failed })
        #expect(try await poll(within: .seconds(5)) { daemon.log.contains("mailed \(recipient) about report") })
        try await Task.sleep(for: .seconds(1))  // a real process and a real MTA: no clock to advance
        #expect(try MailPeer.allMessages().filter { $0.contains("<CRON_JOB=silent>") }.isEmpty, "MAILTO=\"\" mailed")
        #expect(!daemon.log.contains("about silent"))
        #expect(try MailPeer.messages(to: recipient).count == 1, "one mail for one failed run")
        #expect(try await daemon.terminate() == 0)
    }

    @Test func theHookGetsTheFieldsAndTheTailAndAHangingOneIsKilled() async throws {
        let daemon = try DaemonProcess(prefix: "fc-hook")
        defer { daemon.cleanUp() }
        let record = daemon.folder.appendingPathComponent("hook")
        try daemon.write(
            "hook.cron",
            """
            CRON_EXECUTOR=local
            CRON_ON_FAILURE=env | grep -E '^(CRON_|EXIT_CODE=)' | sort > '\(record.path).env'; cat > '\(record.path).stdin'
            @reboot flaky echo 'first line'; echo 'last words' >&2; exit 9
            CRON_ON_FAILURE=sleep 600
            CRON_ON_FAILURE_TIMEOUT=1s
            @reboot stuck exit 1

            """)
        try daemon.start(arguments: ["--without-cluster"])
        #expect(try await poll(within: .seconds(30)) {
            FileManager.default.fileExists(atPath: record.path + ".stdin") && daemon.events(EventID.hookFailed) > 0
        }, "log:\n\(daemon.log)")
        let run = try #require(try daemon.alertingRuns(of: "flaky").first)
        let environment = try String(contentsOfFile: record.path + ".env", encoding: .utf8)
        #expect(environment.contains("CRON_JOB=flaky\n"))
        #expect(environment.contains("CRON_RUN_ID=\(run.id)\n"))
        #expect(environment.contains("CRON_SCHEDULED_AT=\(run.scheduledAt.formatted(Date.ISO8601FormatStyle()))\n"))
        #expect(environment.contains("CRON_REASON=exited with status 9\n"))
        #expect(environment.contains("EXIT_CODE=9\n"))
        #expect(environment.contains("CRON_EVENT=failed\n"))
        let stdin = try String(contentsOfFile: record.path + ".stdin", encoding: .utf8)
        #expect(stdin.split(separator: "\n").sorted() == ["first line", "last words"])
        // The hanging hook: stopped at its 1 s bound, reported once as a journal event.
        let hookLine = try #require(daemon.log.split(separator: "\n").first { $0.contains("MESSAGE_ID=\(EventID.hookFailed)") })
        #expect(hookLine.contains("CRON_JOB=stuck"))
        #expect(hookLine.contains("timed out after"))
        #expect(daemon.events(EventID.hookFailed) == 1, "never retried")
        #expect(try await daemon.terminate() == 0)
    }

    /// No sendmail on the host: `check` warns (located, not an error), and each mail failure is a
    /// journal event while the daemon goes on.
    @Test func aMissingSendmailIsACheckWarningAndAJournalEvent() async throws {
        let daemon = try DaemonProcess(prefix: "fc-nomail")
        defer { daemon.cleanUp() }
        try daemon.write(
            "mail.cron",
            """
            CRON_EXECUTOR=local
            MAILTO=ops@example.com
            @reboot broken exit 2

            """)
        let missing = "/nonexistent/sbin/sendmail -oi -t"
        let checkLog = daemon.folder.appendingPathComponent("check.log")
        let checker = try daemon.spawn(["check", "--sendmail", missing, daemon.crontabs.path], log: checkLog)
        checker.waitUntilExit()
        let check = try String(contentsOf: checkLog, encoding: .utf8)
        #expect(checker.terminationStatus == 0, "a warning does not fail check: \(check)")
        #expect(check.contains("mail.cron:3:1: warning: job 'broken' has MAILTO set, but mail cannot be sent from this host: /nonexistent/sbin/sendmail is not there"))
        #expect(check.contains("0 errors, 1 warning"))

        try daemon.start(arguments: ["--without-cluster", "--sendmail", missing])
        #expect(try await poll(within: .seconds(30)) { daemon.events(EventID.mailFailed) == 1 }, "log:\n\(daemon.log)")
        let line = try #require(daemon.log.split(separator: "\n").first { $0.contains("MESSAGE_ID=\(EventID.mailFailed)") })
        #expect(line.contains("CRON_JOB=broken"))
        #expect(line.contains("exited with status 127"))
        #expect(daemon.log.contains("mail cannot be sent: /nonexistent/sbin/sendmail is not there"), "the start-up warning")
        #expect(try daemon.alertingRuns(of: "broken").first?.state == .failed)
        #expect(daemon.process?.isRunning == true, "a mail failure is never a daemon failure")
        #expect(try await daemon.terminate() == 0)
    }
}
