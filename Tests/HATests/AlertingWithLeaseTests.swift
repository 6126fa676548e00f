import Foundation
import Glibc
import Kubernetes
import TestSupport
import Testing

/// #17's alerting on several hosts (#15): only the leader runs the jobs, so only the leader alerts
/// (a failing job's CRON_ON_FAILURE hook, its overdue watch) and its /metrics says
/// `fargate_cron_leader 1`; a standby serves its metrics with `fargate_cron_leader 0` and alerts
/// nothing, and the host that takes over after a SIGTERM takes the alerting with it.
@Suite(.enabled(if: Emulator.isRunning && PeerEnvironment.hasJournald, "needs the emulator and journald (scripts/test starts them)"),
       .serialized)
struct AlertingWithLeaseTests {
    @Test func theLeaderAlertsAndSaysSoInItsMetricsAStandbyStaysQuiet() async throws {
        let hooks = FileManager.default.temporaryDirectory.appendingPathComponent("fc-ha-hooks-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: hooks, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: hooks) }  // a leftover folder in /tmp harms nothing
        // Every run exits 3; each host's hook appends the event to a file in its HOME (cron passes
        // HOME to the commands it runs, and each host here has one of its own).
        let cluster = try HACluster(
            "ha-alert", runSeconds: 0.2, lines: 1,
            settings: """
                CRON_ANNOTATIONS=test.fargate-cron/run-seconds=0.2,test.fargate-cron/lines=1,test.fargate-cron/exit-code=3
                CRON_ON_FAILURE=echo "$CRON_EVENT $CRON_JOB $EXIT_CODE" >> "$HOME/hook.log"
                """)
        let a = try Host("host-a", cluster: cluster)
        let b = try Host("host-b", cluster: cluster)
        let (portA, portB) = (try freeTCPPort(), try freeTCPPort())
        try a.start(environment: ["FARGATE_CRON_METRICS_ADDRESS": "127.0.0.1:\(portA)", "HOME": try home(hooks, "host-a")])
        #expect(try await cluster.newLeader(after: nil, within: .seconds(10))?.host == "host-a", "log:\n\(a.daemon.log)")
        try b.start(environment: ["FARGATE_CRON_METRICS_ADDRESS": "127.0.0.1:\(portB)", "HOME": try home(hooks, "host-b")])
        #expect(try await poll(within: .seconds(10)) { try await b.daemon.status()["leadership"] as? String == "standby, leader host-a" })

        let hookOfA = hooks.appendingPathComponent("host-a/hook.log"), hookOfB = hooks.appendingPathComponent("host-b/hook.log")
        #expect(try await poll(within: .seconds(30)) { FileManager.default.fileExists(atPath: hookOfA.path) },
                "the leader ran no failure hook; log:\n\(a.daemon.log)")
        #expect(try String(contentsOf: hookOfA, encoding: .utf8).hasPrefix("failed \(cluster.job) 3"))
        #expect(try metric("fargate_cron_leader", port: portA) == 1)
        #expect(try metric("fargate_cron_leader", port: portB) == 0)
        #expect(try (metric("fargate_cron_runs_total{cron_job=\"\(cluster.job)\",state=\"failed\"}", port: portA) ?? 0) >= 1)
        #expect(try metric("fargate_cron_runs_total{cron_job=\"\(cluster.job)\",state=\"failed\"}", port: portB) == nil)
        #expect(!FileManager.default.fileExists(atPath: hookOfB.path), "a standby ran a failure hook")

        // The standby takes over on a SIGTERM, and the alerting with it.
        try a.daemon.send(SIGTERM)
        #expect(try await cluster.newLeader(after: "host-a", within: .seconds(5))?.host == "host-b")
        #expect(try await a.daemon.waitForExit(within: .seconds(15)) == 0, "log:\n\(a.daemon.log)")
        #expect(try await poll(within: .seconds(30)) { FileManager.default.fileExists(atPath: hookOfB.path) },
                "the new leader ran no failure hook; log:\n\(b.daemon.log)")
        #expect(try metric("fargate_cron_leader", port: portB) == 1)
        #expect(try await b.daemon.terminate() == 0)
    }

    /// A HOME of its own for `host`, under `folder`.
    private func home(_ folder: URL, _ host: String) throws -> String {
        let home = folder.appendingPathComponent(host)
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        return home.path
    }

    /// One sample of the daemon's /metrics (`name` with its labels as written), or nil when absent.
    private func metric(_ name: String, port: UInt16) throws -> Double? {
        let text = try curl("http://127.0.0.1:\(port)/metrics")
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.dropFirst(name.count + 1))
        }
        return nil
    }

    private func curl(_ url: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-sf", "--max-time", "10", url]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "curl \(url) exited \(process.terminationStatus)")
        return String(decoding: data, as: UTF8.self)
    }
}

/// A TCP port on 127.0.0.1 that nothing listens on now (bound to port 0, then closed).
func freeTCPPort() throws -> UInt16 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    try #require(fd >= 0, "socket: errno \(errno)")
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
    }
    try #require(bound == 0, "bind: errno \(errno)")
    let named = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    try #require(named == 0, "getsockname: errno \(errno)")
    return UInt16(bigEndian: address.sin_port)
}
