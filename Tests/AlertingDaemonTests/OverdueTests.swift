import Foundation
import Ledger
import RunModel
import TestSupport
import Testing

/// CRON_ALERT_AFTER through the real daemon (#17, Show): a job that keeps failing raises exactly
/// one overdue event, then one recovery on its next success; a daemon down past the window raises
/// it at start, and a restart does not raise it again.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct OverdueTests {
    @Test func aJobThatKeepsFailingRaisesOneAlertThenOneRecovery() async throws {
        let daemon = try DaemonProcess(prefix: "fc-overdue")
        defer { daemon.cleanUp() }
        let flag = daemon.folder.appendingPathComponent("healthy")
        let hookLog = daemon.folder.appendingPathComponent("hook.log")
        try daemon.write(
            "overdue.cron",
            """
            CRON_EXECUTOR=local
            CRON_ALERT_AFTER=3s
            CRON_ON_FAILURE=echo "$CRON_EVENT" >> '\(hookLog.path)'
            * * * * * * flappy [ -e '\(flag.path)' ]

            """)
        try daemon.start(arguments: ["--without-cluster"])
        // It fails every second; 3 s after the start it is overdue, once.
        #expect(try await poll(within: .seconds(20)) { daemon.events(EventID.overdue) == 1 }, "log:\n\(daemon.log)")
        // Several more failures pass without a second alert.
        let failuresThen = daemon.events(EventID.failed)
        #expect(try await poll(within: .seconds(20)) { daemon.events(EventID.failed) >= failuresThen + 3 })
        #expect(daemon.events(EventID.overdue) == 1)
        let status = try await daemon.command(["status", "flappy", "--crontabs", daemon.crontabs.path])
        #expect(status.output.contains("overdue:      yes, since"), "\(status.output)")

        try Data().write(to: flag)
        #expect(try await poll(within: .seconds(20)) { daemon.events(EventID.recovered) == 1 }, "log:\n\(daemon.log)")
        let successes = try daemon.alertingRuns(of: "flappy").filter { $0.state == .succeeded }.count
        #expect(try await poll(within: .seconds(20)) {
            try daemon.alertingRuns(of: "flappy").filter { $0.state == .succeeded }.count >= successes + 3
        })
        #expect(daemon.events(EventID.overdue) == 1)
        #expect(daemon.events(EventID.recovered) == 1)
        let overdueLine = try #require(daemon.log.split(separator: "\n").first { $0.contains("MESSAGE_ID=\(EventID.overdue)") })
        #expect(overdueLine.contains(" err: flappy is overdue: no success within 3s"))
        #expect(overdueLine.contains("the latest slot: run "))
        // The hook ran for each failure and once for the overdue job; not for the recovery.
        let hookEvents = try String(contentsOf: hookLog, encoding: .utf8).split(separator: "\n")
        #expect(hookEvents.filter { $0 == "overdue" }.count == 1)
        #expect(!hookEvents.contains("recovered"))
        #expect(try await daemon.terminate() == 0)
    }

    @Test func aDaemonDownPastTheWindowRaisesItAtStart() async throws {
        let daemon = try DaemonProcess(prefix: "fc-down")
        defer { daemon.cleanUp() }
        try daemon.write(
            "nightly.cron",
            """
            CRON_EXECUTOR=local
            CRON_ALERT_AFTER=3s
            0 3 1 1 * nightly echo done

            """)
        try daemon.start(arguments: ["--without-cluster"])
        #expect(try await daemon.waitUntilRunning())
        // A success now (trigger --wait exits with the run's status, 0), then the daemon stops.
        let trigger = try await daemon.command(["trigger", "nightly", "--wait"])
        #expect(trigger.status == 0, "\(trigger.output)\(trigger.errors)")
        #expect(try await daemon.terminate() == 0)
        #expect(daemon.events(EventID.overdue) == 0)

        try await Task.sleep(for: .seconds(4))  // down for longer than the 3 s window (real time: a real process)
        try daemon.start(arguments: ["--without-cluster"])
        #expect(try await poll(within: .seconds(20)) { daemon.events(EventID.overdue) == 1 }, "log:\n\(daemon.log)")
        let line = try #require(daemon.log.split(separator: "\n").first { $0.contains("MESSAGE_ID=\(EventID.overdue)") })
        #expect(line.contains("the last one was at"))
        #expect(line.contains("no run has ended since"))
        #expect(try await daemon.terminate() == 0)

        // Restarted in the same episode: the alert stands, and is not raised again.
        try daemon.start(arguments: ["--without-cluster"])
        #expect(try await daemon.waitUntilRunning())
        try await Task.sleep(for: .seconds(3))  // the watch looks at start: give it time to (wrongly) raise again
        #expect(daemon.events(EventID.overdue) == 1, "log:\n\(daemon.log)")
        #expect(try await daemon.terminate() == 0)
    }
}
