import Foundation
import Glibc
import Ledger
import RunModel
import TestSupport
import Testing

/// The real binary as a child process on temporary folders, with `local` jobs.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct DaemonEndToEndTests {
    /// The runs of `job` in the daemon's ledger, oldest slot first.
    func runs(of job: String, in daemon: DaemonProcess) throws -> [Run] {
        do {
            return try RunLedger.openForReading(stateDirectory: daemon.state.path).history(job: job, limit: 10_000).reversed()
        } catch .noLedger { return [] }
    }

    @Test func secondsJobsFireOverlapIsRefusedAndSigtermExitsZero() async throws {
        let daemon = try DaemonProcess()
        var groups: [Int32] = []
        defer { daemon.cleanUp(jobProcessGroups: groups) }
        try daemon.write(
            "seconds.cron",
            """
            CRON_EXECUTOR=local
            CRON_TZ=UTC
            * * * * * * tick echo "tick $CRON_SCHEDULED_AT"
            * * * * * * slow sleep 30

            """)
        try daemon.start()
        let fired = try await poll(within: .seconds(15)) {
            try runs(of: "tick", in: daemon).filter { $0.state == .succeeded }.count >= 3
                && runs(of: "slow", in: daemon).filter { $0.state == .skipped }.count >= 2
        }
        #expect(fired, "log:\n\(daemon.log)")
        let ticks = try runs(of: "tick", in: daemon)
        #expect(Set(ticks.map(\.scheduledAt)).count == ticks.count, "a slot ran twice")
        #expect(ticks.allSatisfy { $0.scheduledAt.timeIntervalSince1970.truncatingRemainder(dividingBy: 1) == 0 })
        // Overlap refused: one run of `slow` started; every later slot is skipped, blocked by it.
        let slow = try runs(of: "slow", in: daemon)
        let started = slow.filter { $0.createdAt != nil }
        try #require(started.count == 1)
        groups = started.compactMap { $0.handle.flatMap { Int32($0.reference.split(separator: " ")[0].dropFirst(4)) } }
        // (A slot the loop reached late on a loaded machine may be missed instead; never started.)
        #expect(slow.filter { $0.id != started[0].id }.allSatisfy { ($0.state == .skipped && $0.blockedBy == started[0].id) || $0.state == .missed })

        let status = try await daemon.status()
        #expect(status["daemon"] as? String == "running")
        let jobs = try #require(status["jobs"] as? [[String: Any]])
        #expect(jobs.map { $0["name"] as? String } == ["slow", "tick"])
        #expect(jobs[0]["activeRuns"] as? [Int] == [Int(started[0].id.rawValue)])

        try daemon.send(SIGTERM)
        #expect(try await daemon.waitForExit(within: .seconds(10)) == 0)
        // The child was stopped with the daemon, and that is on record.
        #expect(try runs(of: "slow", in: daemon).first?.state == .cancelled)
        #expect(daemon.log.contains("Started run \(started[0].id) of slow"))
        #expect(daemon.log.contains("tick info: tick "))  // the job's own output, line by line
    }

    @Test func aSigkilledDaemonRestartsWithoutStartingASecondCopyOfTheRunningJob() async throws {
        let daemon = try DaemonProcess()
        var groups: [Int32] = []
        defer { daemon.cleanUp(jobProcessGroups: groups) }
        try daemon.write("long.cron", "CRON_EXECUTOR=local\n* * * * * * long sleep 30\n")
        try daemon.start()
        #expect(try await poll(within: .seconds(15)) { try runs(of: "long", in: daemon).first?.state == .started })
        let first = try #require(try runs(of: "long", in: daemon).first)
        let reference = try #require(first.handle?.reference)
        let pid = try #require(Int32(reference.split(separator: " ")[0].dropFirst(4)))
        groups = [pid]

        try daemon.send(SIGKILL)
        let killed = try await daemon.waitForExit(within: .seconds(10))
        #expect(killed == -SIGKILL)
        #expect(kill(pid, 0) == 0, "the job's process should outlive the daemon")
        try daemon.start()
        let afterRestart = Date()
        #expect(
            try await poll(within: .seconds(15)) {
                try runs(of: "long", in: daemon).filter { $0.state == .skipped && $0.scheduledAt > afterRestart }.count >= 2
            }, "log:\n\(daemon.log)")
        let long = try runs(of: "long", in: daemon)
        #expect(long.filter { $0.createdAt != nil }.map(\.id) == [first.id], "a second copy was started")
        #expect(long.filter { $0.state.isActive }.map(\.id) == [first.id])
        #expect(long.filter { $0.id != first.id }.allSatisfy { ($0.state == .skipped && $0.blockedBy == first.id) || $0.state == .missed })
        #expect(daemon.log.contains("run \(first.id) of long survived a restart and was adopted"))

        try daemon.send(SIGTERM)
        #expect(try await daemon.waitForExit(within: .seconds(10)) == 0)
        #expect(try runs(of: "long", in: daemon).first?.state == .cancelled)
    }

    @Test func triggerStatusSighupAndFolderChangesWorkOnTheRunningDaemon() async throws {
        let daemon = try DaemonProcess()
        defer { daemon.cleanUp() }
        try daemon.write("yearly.cron", "CRON_EXECUTOR=local\nCRON_TZ=UTC\n0 0 1 1 * yearly sleep 3\n")
        try daemon.start()
        #expect(try await poll(within: .seconds(15)) { FileManager.default.fileExists(atPath: daemon.state.path + "/control.sock") })

        let status = try await daemon.status()
        #expect(status["daemon"] as? String == "running")
        let jobs = try #require(status["jobs"] as? [[String: Any]])
        #expect(jobs.first?["name"] as? String == "yearly")
        #expect((jobs.first?["next"] as? String)?.hasSuffix("-01-01T00:00:00Z") == true)

        let started = try await daemon.command(["trigger", "yearly"])
        #expect(started.status == 0)
        #expect(started.output == "yearly: started run 1\n")
        let skipped = try await daemon.command(["trigger", "yearly", "--json"])
        #expect(skipped.status == 1)
        #expect(skipped.output.contains("\"result\":\"skipped\""))
        #expect(try await daemon.command(["trigger", "nope"]).output == "nope: no job named nope\n")
        #expect(try runs(of: "yearly", in: daemon).map(\.trigger) == [.manual, .manual])

        try daemon.write("other.cron", "CRON_EXECUTOR=local\n@hourly other true\n")
        try daemon.send(SIGHUP)
        #expect(
            try await poll(within: .seconds(15)) { daemon.log.contains("SIGHUP: added other") || daemon.log.contains("SIGHUP: nothing changed") })
        let reloaded = try #require(try await daemon.status()["jobs"] as? [[String: Any]])
        #expect(reloaded.map { $0["name"] as? String } == ["other", "yearly"])
        // Without a signal: inotify sees the new file, and a debounced reload picks it up.
        try daemon.write("third.cron", "CRON_EXECUTOR=local\n@daily third true\n")
        #expect(try await poll(within: .seconds(15)) { daemon.log.contains("files changed: added third") }, "log:\n\(daemon.log)")
        let watched = try #require(try await daemon.status()["jobs"] as? [[String: Any]])
        #expect(watched.map { $0["name"] as? String } == ["other", "third", "yearly"])

        try daemon.send(SIGTERM)
        #expect(try await daemon.waitForExit(within: .seconds(10)) == 0)
        // With the daemon down, status reads the files and the ledger.
        let offline = try await daemon.status()
        #expect(offline["daemon"] as? String == "stopped")
        // The last result on record is the refused second trigger.
        let lastRun = try #require((offline["jobs"] as? [[String: Any]])?.last?["lastRun"] as? [String: Any])
        #expect(lastRun["run"] as? Int == 2)
        #expect((lastRun["state"] as? String)?.hasPrefix("skipped") == true)
    }

    @Test func theDaemonTellsSystemdReadyWatchdogReloadingAndStopping() async throws {
        let daemon = try DaemonProcess()
        defer { daemon.cleanUp() }
        try daemon.write("idle.cron", "CRON_EXECUTOR=local\nCRON_TZ=UTC\n0 0 1 1 * idle true\n0 0 2 1 * held sleep 2\n")
        let notify = try NotifyListener(path: daemon.folder.appendingPathComponent("notify.sock").path)
        // A 1 s watchdog: the loop must ping every 0.5 s.
        try daemon.start(environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "1000000"])
        var messages: [String] = []
        #expect(try await poll(within: .seconds(15)) {
            messages += notify.receive()
            return messages.contains { $0.split(separator: "\n").contains("READY=1") }
        }, "messages: \(messages)")
        // STATUS=: jobs loaded, runs active, the next job and when; again when a run starts and ends.
        func statusLines() -> [String] {
            messages.flatMap { $0.split(separator: "\n") }.filter { $0.hasPrefix("STATUS=") }.map(String.init)
        }
        var statusesSeen = 0  // status lines already matched: each wait looks only at later ones
        func sawStatus(_ runs: String) async throws -> Bool {
            try await poll(within: .seconds(15)) {
                messages += notify.receive()
                let lines = statusLines()
                guard let hit = lines[statusesSeen...].firstIndex(where: {
                    $0.hasPrefix("STATUS=2 jobs loaded, \(runs), next: idle at ") && $0.hasSuffix("-01-01T00:00:00Z")
                }) else { return false }
                statusesSeen = hit + 1
                return true
            }
        }
        #expect(try await sawStatus("0 runs active"), "messages: \(messages)")
        #expect(try await poll(within: .seconds(15)) { FileManager.default.fileExists(atPath: daemon.state.path + "/control.sock") })
        #expect(try await daemon.command(["trigger", "held"]).status == 0)
        #expect(try await sawStatus("1 run active"), "messages: \(messages)")
        #expect(try await sawStatus("0 runs active"), "messages: \(messages)")
        messages = []
        let window = ContinuousClock.now
        // Not waiting for something: the cadence itself is measured, over a fixed 2 s window.
        try await Task.sleep(for: .seconds(2))
        let elapsed = ContinuousClock.now - window
        let pings = notify.receive().filter { $0 == "WATCHDOG=1" }.count
        // About one ping per half second: 2 s gives 3 to 5; a spinning loop would send thousands.
        #expect((2...Int(elapsed / .milliseconds(250))).contains(pings), "\(pings) pings in \(elapsed)")

        try daemon.send(SIGHUP)
        #expect(try await poll(within: .seconds(10)) {
            messages += notify.receive()
            return messages.contains { $0.contains("RELOADING=1") } && messages.last { $0.contains("READY=1") } != nil
        }, "messages: \(messages)")
        try daemon.send(SIGTERM)
        #expect(try await daemon.waitForExit(within: .seconds(10)) == 0)
        messages += notify.receive()
        #expect(messages.contains { $0.split(separator: "\n").contains("STOPPING=1") }, "messages: \(messages)")
    }

    @Test func aDaemonThatCannotOpenItsLedgerSendsErrnoAndNeverReady() async throws {
        let daemon = try DaemonProcess()
        defer { daemon.cleanUp() }
        try daemon.write("idle.cron", "CRON_EXECUTOR=local\n@yearly idle true\n")
        // A file where the state folder should be: the run ledger cannot be opened.
        try Data("not a folder".utf8).write(to: daemon.state)
        let notify = try NotifyListener(path: daemon.folder.appendingPathComponent("notify.sock").path)
        try daemon.start(environment: ["NOTIFY_SOCKET": notify.path])
        let status = try await daemon.waitForExit(within: .seconds(15))
        #expect(status != nil && status != 0, "log:\n\(daemon.log)")
        let messages = notify.receive()
        #expect(messages.count == 1, "messages: \(messages)")
        #expect(messages.first?.hasPrefix("STATUS=cannot open the run ledger: ") == true, "messages: \(messages)")
        #expect(messages.first?.hasSuffix("\nERRNO=\(EIO)") == true, "messages: \(messages)")
        #expect(!messages.contains { $0.contains("READY=1") })
    }
}
