import Foundation
import Glibc
import Ledger
import RunModel
import TestSupport
import Testing

/// The smtp peer (scripts/peers/smtp.sh): msmtp relaying to an aiosmtpd sink on 127.0.0.1.
enum MailPeer {
    static var folder: String? { PeerEnvironment.variables["FARGATE_CRON_TEST_MAILDIR"] }
    static var sendmail: String? { PeerEnvironment.variables["FARGATE_CRON_TEST_SENDMAIL"] }
    static var isAvailable: Bool { folder != nil && sendmail != nil }

    static func uniqueRecipient() -> String { "ops-\(UUID().uuidString.lowercased().prefix(12))@example.com" }

    /// The raw messages whose envelope names `recipient`.
    static func messages(to recipient: String) throws -> [String] {
        guard let folder else { return [] }
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".eml") }.sorted()
        return try names.compactMap { name in
            let stem = (folder as NSString).appendingPathComponent(String(name.dropLast(4)))
            let envelope = try String(contentsOfFile: stem + ".json", encoding: .utf8)
            guard envelope.contains("\"\(recipient)\"") else { return nil }
            return String(decoding: try Data(contentsOf: URL(fileURLWithPath: stem + ".eml")), as: UTF8.self)
                .replacingOccurrences(of: "\r\n", with: "\n")
        }
    }

    /// Every message the sink holds.
    static func allMessages() throws -> [String] {
        guard let folder else { return [] }
        return try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".eml") }.map {
            String(decoding: try Data(contentsOf: URL(fileURLWithPath: (folder as NSString).appendingPathComponent($0))), as: UTF8.self)
        }
    }
}

extension DaemonProcess {
    /// The runs of `job` in the ledger, newest first (none before the ledger exists).
    func alertingRuns(of job: String) throws -> [Run] {
        do { return try RunLedger.openForReading(stateDirectory: state.path).history(job: job, limit: 1000) } catch .noLedger { return [] }
    }

    /// Waits (at most 20 s) until the daemon answers `status` on its control socket.
    func waitUntilRunning() async throws -> Bool {
        try await poll(within: .seconds(20)) {
            let answer = try await command(["status", "--json", "--crontabs", crontabs.path], within: .seconds(30))
            return answer.status == 0 && answer.output.contains("\"daemon\":\"running\"")
        }
    }

    /// How many log lines carry `MESSAGE_ID=id` (the daemon logs to its file: `MESSAGE_ID=` is in each line).
    func events(_ id: String) -> Int {
        log.split(separator: "\n").filter { $0.contains("MESSAGE_ID=\(id)") }.count
    }
}

/// The alerting's journal ids (Sources/Systemd/RunEvent.swift).
enum EventID {
    static let overdue = "7605382783c4403ca75f821652ca5495"
    static let recovered = "f4756d8ef7714a4ebac18fa757be3dda"
    static let mailFailed = "e7d3c5a1dc684b2a8522db627f8c04a9"
    static let hookFailed = "bc3d55d50ce44b3fb4a02a37d555d146"
    static let failed = "7bbc90644a1f4dd1854fa021e5494049"
}

extension DaemonProcess {
    /// Writes a kubeconfig for the Kubernetes emulator (`PeerEnvironment.kubernetesHTTP`) into the
    /// daemon's folder, for `FARGATE_CRON_KUBECONFIG`.
    func emulatorKubeconfig() throws -> URL {
        let kubeconfig = folder.appendingPathComponent("kubeconfig")
        try Data("""
            apiVersion: v1
            kind: Config
            clusters:
            - name: emulator
              cluster: {server: \(try #require(PeerEnvironment.kubernetesHTTP))}
            users:
            - name: tester
              user: {token: test-token}
            contexts:
            - name: emulator
              context: {cluster: emulator, user: tester}
            current-context: emulator
            """.utf8).write(to: kubeconfig)
        return kubeconfig
    }
}

/// A port nothing listens on now.
func freePort() throws -> UInt16 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    try #require(fd >= 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    try #require(bound)
    return UInt16(bigEndian: address.sin_port)
}

/// Runs a program to its end; its standard output.
func output(of program: String, _ arguments: [String], input: String? = nil) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: program)
    process.arguments = arguments
    let out = Pipe()
    let stdin = Pipe()
    process.standardOutput = out
    process.standardInput = stdin
    try process.run()
    if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
    try stdin.fileHandleForWriting.close()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
}

/// The daemon's /metrics, parsed by prometheus-client's parser: `name{k=v,...}` -> value.
func scrape(port: UInt16) throws -> [String: Double] {
    let text = try output(of: "/usr/bin/curl", ["-sf", "--max-time", "10", "http://127.0.0.1:\(port)/metrics"])
    let script = """
        import json, sys
        from prometheus_client.parser import text_string_to_metric_families
        out = {}
        for family in text_string_to_metric_families(sys.stdin.read()):
            for s in family.samples:
                labels = ",".join(f"{k}={v}" for k, v in sorted(s.labels.items()))
                out[f"{s.name}{{{labels}}}"] = s.value
        print(json.dumps(out))
        """
    let json = try output(of: "/usr/bin/env", ["python3", "-c", script], input: text)
    return try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Double], "not parsed: \(text)")
}
