import Foundation
import Glibc
import Ledger
import RunModel
import TestSupport
import Testing

/// The daemon binary and its ledger: one writer per state directory, and retention.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct DaemonLedgerTests {
    /// Runs `fargate-cron daemon` on `daemon`'s folders as a second process, waits (bounded) for it to
    /// exit and returns its exit status and everything it printed.
    func runSecondDaemon(
        beside daemon: DaemonProcess, environment extra: [String: String] = [:]
    ) async throws -> (status: Int32?, output: String) {
        let log = daemon.folder.appendingPathComponent("second-\(UUID().uuidString.prefix(8)).log")
        let process = try daemon.spawn(
            ["daemon", "--crontabs", daemon.crontabs.path, "--state-dir", daemon.state.path], environment: extra, log: log)
        defer {
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }
        }
        let ended = try await poll(within: .seconds(20)) { !process.isRunning }
        if ended { process.waitUntilExit() }
        return (ended ? process.terminationStatus : nil, String(decoding: try Data(contentsOf: log), as: UTF8.self))
    }


    @Test func aSecondDaemonOnTheSameStateDirectoryRefusesToStartAndNamesTheFirst() async throws {
        let daemon = try DaemonProcess()
        defer { daemon.cleanUp() }
        try daemon.write("tick.cron", "CRON_EXECUTOR=local\n* * * * * * tick true\n")
        try daemon.start()
        #expect(try await poll(within: .seconds(15)) { try daemon.runs(of: "tick").count >= 2 }, "log:\n\(daemon.log)")
        let first = try #require(daemon.process?.processIdentifier)

        let second = try await runSecondDaemon(beside: daemon)
        #expect(second.status == 1, "output:\n\(second.output)")
        #expect(
            second.output.contains(
                "cannot open the run ledger: another fargate-cron daemon (pid \(first)) is using this state directory: "
                    + "\(daemon.state.path)/ledger.lock is locked"),
            "output:\n\(second.output)")

        // The first daemon goes on recording, undisturbed, and its ledger is sound.
        let before = try daemon.runs(of: "tick").count
        #expect(try await poll(within: .seconds(15)) { try daemon.runs(of: "tick").count > before })
        #expect(daemon.process?.isRunning == true)
        try daemon.send(SIGTERM)
        #expect(try await daemon.waitForExit(within: .seconds(10)) == 0)
        let ledger = try RunLedger.open(stateDirectory: daemon.state.path)
        #expect(try ledger.integrityReport() == ["ok"])
        let ticks = try ledger.history(job: "tick", limit: 10_000)
        #expect(Set(ticks.map(\.scheduledAt)).count == ticks.count, "a slot was recorded twice")
    }

    @Test func theDaemonPrunesFinishedRunsPastItsRetentionAndKeepsScheduling() async throws {
        let daemon = try DaemonProcess()
        defer { daemon.cleanUp() }
        // The daemon's clock is the real one, so the ledger is filled relative to it.
        let now = Date()
        let day: TimeInterval = 86_400
        do {
            let ledger = try RunLedger.open(stateDirectory: daemon.state.path)
            // More than one batch (500 rows) of runs past a 5-day retention...
            for minute in 0..<700 {
                try ledger.record(
                    .suspended, for: Slot(job: "old", scheduledAt: now - 10 * day - Double(minute) * 60),
                    policy: .forbid, at: now - 10 * day)
            }
            // ...and one within it.
            try ledger.record(.suspended, for: Slot(job: "old", scheduledAt: now - 4 * day), policy: .forbid, at: now)
        }
        try daemon.write("tick.cron", "CRON_EXECUTOR=local\n* * * * * * tick true\n")

        let refused = try await runSecondDaemon(beside: daemon, environment: ["FARGATE_CRON_LEDGER_RETENTION": "90"])
        #expect(refused.status == 64, "output:\n\(refused.output)")
        #expect(
            refused.output.contains("FARGATE_CRON_LEDGER_RETENTION must be a duration such as 90d, 12w or 36h, got '90'"),
            "output:\n\(refused.output)")
        #expect(try daemon.runs(of: "old").count == 701, "a refused start must not prune")

        try daemon.start(environment: ["FARGATE_CRON_LEDGER_RETENTION": "5d"])
        #expect(
            try await poll(within: .seconds(30)) { try daemon.runs(of: "old").count == 1 }, "log:\n\(daemon.log)")
        let kept = try #require(try daemon.runs(of: "old").first)
        #expect(abs(kept.scheduledAt.timeIntervalSince(now - 4 * day)) < 0.001, "the run within the retention was pruned")
        #expect(daemon.log.contains("pruned 700 finished runs scheduled before"), "log:\n\(daemon.log)")
        let ticks = try daemon.runs(of: "tick").count
        #expect(try await poll(within: .seconds(15)) { try daemon.runs(of: "tick").count > ticks })
        try daemon.send(SIGTERM)
        #expect(try await daemon.waitForExit(within: .seconds(10)) == 0)
    }
}
