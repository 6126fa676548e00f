import Foundation
import Glibc
import Systemd
import Testing

/// The notify protocol end to end: `notify-probe` (which drives ``Notifier`` the way
/// the daemon will) as a child process, talking to a socket the test owns.
@Suite("sd_notify against a test-owned NOTIFY_SOCKET")
struct NotifierTests {
    /// A schedule folder with `jobs` job lines in one file.
    static func crontabs(jobs: Int) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("crontabs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let lines = ["CRON_TZ=UTC", "# a comment", ""] + (0..<jobs).map { "*/5 * * * * job-\($0) echo \($0)" }
        try lines.joined(separator: "\n").write(to: folder.appendingPathComponent("a.cron"), atomically: true, encoding: .utf8)
        return folder
    }

    static func probe(
        _ socket: NotifySocket, crontabs: URL, environment: [String: String] = [:]
    ) throws -> ChildProcess {
        try ChildProcess(
            Paths.notifyProbe, ["--crontabs", crontabs.path],
            environment: ["NOTIFY_SOCKET": socket.path].merging(environment) { _, new in new },
            removing: environment["WATCHDOG_USEC"] == nil ? ["WATCHDOG_USEC", "WATCHDOG_PID"] : []
        )
    }

    @Test func readyIsSentOnlyAfterLoadingWithTheStatusLine() async throws {
        let socket = try NotifySocket()
        let folder = try Self.crontabs(jobs: 2)
        defer { try? FileManager.default.removeItem(at: folder) }
        let child = try Self.probe(socket, crontabs: folder)
        defer { child.cleanUp() }

        let messages = try socket.receive(until: { $0.assignments["READY"] != nil })
        #expect(messages.map(\.text) == [
            "STATUS=Loading schedules from \(folder.path)",
            "READY=1\nSTATUS=2 jobs loaded, 0 runs active, next: none",
        ])
        child.send(SIGTERM)
        let stopping = try socket.receive(until: { $0.assignments["STOPPING"] != nil })
        #expect(stopping.last?.text == "STOPPING=1\nSTATUS=Stopping")
        #expect(try await child.waitForExit() == 0)
    }

    @Test func aFailedStartSendsErrnoAndNeverReady() async throws {
        let socket = try NotifySocket()
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("missing-\(UUID().uuidString)")
        let child = try Self.probe(socket, crontabs: missing)
        defer { child.cleanUp() }

        #expect(try await child.waitForExit() == EX_CONFIG)
        let messages = try socket.receive(until: { _ in false }, timeout: .milliseconds(200))
        #expect(messages.map(\.text) == [
            "STATUS=Loading schedules from \(missing.path)",
            "STATUS=Cannot load schedules from \(missing.path): no such folder\nERRNO=\(ENOENT)",
        ])
    }

    @Test func watchdogPingsComeEveryHalfWatchdogUsec() async throws {
        let socket = try NotifySocket()
        let folder = try Self.crontabs(jobs: 1)
        defer { try? FileManager.default.removeItem(at: folder) }
        // WATCHDOG_USEC=3 s: pings every 1.5 s; systemd would kill the service after 3 s without one.
        // (1 s was used first; on CI's two loaded cores a late scheduling of the child can cost a
        // second, which says nothing about the cadence.)
        let child = try Self.probe(socket, crontabs: folder, environment: ["WATCHDOG_USEC": "3000000"])
        defer { child.cleanUp() }

        let startup = try socket.receive(until: { $0.assignments["READY"] != nil })
        #expect(startup.last?.assignments["READY"] == "1")
        var pings: [NotifySocket.Message] = []
        while pings.count < 4, let message = try socket.receive(timeout: .seconds(10)) {
            #expect(message.text == "WATCHDOG=1")
            pings.append(message)
        }
        #expect(pings.count == 4)
        let gaps = zip(pings.dropFirst(), pings).map { $0.arrival - $1.arrival }
        for gap in gaps {
            #expect(gap >= .milliseconds(1200), "pinged too often: \(gap)")
            #expect(gap < .seconds(3), "a gap of \(gap) would have let the watchdog fire")
        }
        child.send(SIGTERM)
        #expect(try await child.waitForExit() == 0)
    }

    @Test func sighupIsAnnouncedAsReloadingThenReady() async throws {
        let socket = try NotifySocket()
        let folder = try Self.crontabs(jobs: 1)
        defer { try? FileManager.default.removeItem(at: folder) }
        let child = try Self.probe(socket, crontabs: folder)
        defer { child.cleanUp() }
        _ = try socket.receive(until: { $0.assignments["READY"] != nil })

        try "@hourly added echo added\n@daily other echo".write(
            to: folder.appendingPathComponent("b.cron"), atomically: true, encoding: .utf8)
        let before = Notifier.monotonicNow()
        child.send(SIGHUP)
        // 30 s: on two cores shared with other builds, the probe took over 10 s to answer once.
        let messages = try socket.receive(until: { $0.assignments["READY"] != nil }, timeout: .seconds(30))
        let after = Notifier.monotonicNow()

        #expect(messages.count == 2)
        let reloading = try #require(messages.first).assignments
        #expect(reloading["RELOADING"] == "1")
        // MONOTONIC_USEC is CLOCK_MONOTONIC, the same clock in both processes.
        let stamp = try #require(reloading["MONOTONIC_USEC"].flatMap(Int64.init))
        #expect(Duration.microseconds(stamp) >= before - .microseconds(1) && Duration.microseconds(stamp) <= after)
        #expect(messages.last?.text == "READY=1\nSTATUS=3 jobs loaded, 0 runs active, next: none")

        child.send(SIGTERM)
        #expect(try await child.waitForExit() == 0)
    }

    @Test func aNotifySocketThatCannotBeReachedIsAnError() async throws {
        let folder = try Self.crontabs(jobs: 1)
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try await ChildProcess.run(
            Paths.notifyProbe, ["--crontabs", folder.path],
            environment: ["NOTIFY_SOCKET": "/nonexistent-\(UUID().uuidString)/notify"])
        #expect(result.status != 0)
        #expect(result.errors.contains("sd_notify"), "stderr: \(result.errors)")
    }

    @Test func aMalformedWatchdogUsecIsAnError() async throws {
        let socket = try NotifySocket()
        let folder = try Self.crontabs(jobs: 1)
        defer { try? FileManager.default.removeItem(at: folder) }
        let child = try Self.probe(socket, crontabs: folder, environment: ["WATCHDOG_USEC": "soon"])
        defer { child.cleanUp() }
        #expect(try await child.waitForExit() != 0)
        #expect(child.errors.contains("sd_watchdog_enabled"), "stderr: \(child.errors)")
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["NOTIFY_SOCKET"] == nil))
    func withoutNotifySocketEverythingIsANoOp() throws {
        let notifier = Notifier()
        #expect(try notifier.ready(status: "x") == false)
        #expect(try notifier.status("x") == false)
        #expect(try notifier.watchdog() == false)
        #expect(try notifier.reloading(monotonicNow: Notifier.monotonicNow()) == false)
        #expect(try notifier.stopping() == false)
        #expect(try notifier.failed(errnoCode: ENOENT) == false)
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["WATCHDOG_USEC"] == nil))
    func withoutWatchdogUsecThereIsNoWatchdogInterval() throws {
        #expect(try Notifier().watchdogInterval == nil)
    }
}

@Suite struct ServiceStatusTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var status: ServiceStatus
        var expect: String
        var testDescription: String { name }
    }

    @Test(arguments: [
        Case(name: "nothing loaded", status: ServiceStatus(jobsLoaded: 0, runsActive: 0), expect: "0 jobs loaded, 0 runs active, next: none"),
        Case(name: "singular", status: ServiceStatus(jobsLoaded: 1, runsActive: 1), expect: "1 job loaded, 1 run active, next: none"),
        Case(
            name: "next job",
            status: ServiceStatus(jobsLoaded: 3, runsActive: 2, next: ("nightly-report", Date(timeIntervalSince1970: 1_795_923_000))),
            expect: "3 jobs loaded, 2 runs active, next: nightly-report at 2026-11-29T03:30:00Z"),
    ])
    func statusLine(_ c: Case) {
        #expect(c.status.description == c.expect)
    }
}
