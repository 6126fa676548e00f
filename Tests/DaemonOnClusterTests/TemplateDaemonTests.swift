import Foundation
import Kubernetes
import Ledger
import TestSupport
import RunModel
import Testing

/// The templates of `check`'s own tests (Tests/SchedulesTests/Fixtures/templates), run by the real
/// daemon against the strict emulator, which refuses what a real API server refuses: each template
/// `check` accepts runs, with every container's output in the journal (its `K8S_CONTAINER`) and the ledger's count.
@Suite("Templates the API server accepts", .enabled(if: Peers.isAvailable), .serialized)
struct TemplateDaemonTests {
    static let fixtures = PeerEnvironment.repository.appendingPathComponent("Tests/SchedulesTests/Fixtures/templates")

    @Test(arguments: ["cpu-number.yaml", "sidecar.yaml", "exported.yaml"])
    func aTemplateCheckAcceptsRuns(_ template: String) async throws {
        let namespace = Peers.unique("tpl")
        let job = Peers.unique("templated")
        let controller = try FargateController(namespace: namespace)
        defer { withExtendedLifetime(controller) {} }
        let daemon = try DaemonProcess.onCluster()
        defer { daemon.cleanUp() }
        let folder = daemon.crontabs.appendingPathComponent("templates")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data(contentsOf: Self.fixtures.appendingPathComponent(template)).write(to: folder.appendingPathComponent(template))
        let schedule = DaemonOnClusterTests.scheduleFile(
            job: job, namespace: namespace, settings: ["CRON_TEMPLATE=templates/\(template)"])
            .replacingOccurrences(of: "CRON_CPU=0.25\nCRON_MEMORY=0.5Gi\n", with: "")
        try daemon.write("templated.cron", schedule)
        let log = daemon.folder.appendingPathComponent("check.log")
        let check = try daemon.spawn(["check", daemon.crontabs.path], log: log)
        check.waitUntilExit()
        let checked = String(decoding: try Data(contentsOf: log), as: UTF8.self)
        #expect(check.terminationStatus == 0, "check refused \(template): \(checked)")
        try daemon.start()

        var reported: Run?
        #expect(try await poll(within: .seconds(40)) {
            // Reported and ended: the executor records its report a moment before the run's end.
            reported = try daemon.runs(of: job).first { $0.reportedAt != nil && $0.state.isTerminal }
            return reported != nil
        }, "no run of \(template) was reported; daemon log:\n\(daemon.log)")
        #expect(reported?.state == .succeeded, "\(String(describing: reported)); daemon log:\n\(daemon.log)")
        // Every container's output: the main container's three lines, one line of each other container.
        let containers = template == "sidecar.yaml" ? ["main", "main", "main", "metrics", "migrate", "proxy"] : ["main", "main", "main"]
        #expect(reported?.outputLines == containers.count, "every container's lines; daemon log:\n\(daemon.log)")
        var written: [String] = []
        #expect(try await poll(within: .seconds(10)) {
            written = try Self.containersOfOutput(job: job)
            return written.count >= containers.count
        })
        #expect(written.sorted() == containers, "K8S_CONTAINER of each line")
    }

    /// The `K8S_CONTAINER` of each output line of `job` in the journal.
    static func containersOfOutput(job: String) throws -> [String] {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("journal-\(UUID().uuidString).json")
        guard FileManager.default.createFile(atPath: out.path, contents: nil) else { throw CocoaError(.fileWriteUnknown) }
        defer { try? FileManager.default.removeItem(at: out) }
        let handle = try FileHandle(forWritingTo: out)
        let journal = Process()
        journal.executableURL = URL(fileURLWithPath: "/usr/bin/journalctl")
        journal.arguments = ["--no-pager", "-o", "json", "CRON_JOB=\(job)", "CRON_STREAM=stdout"]
        journal.standardOutput = handle
        try journal.run()
        journal.waitUntilExit()
        try handle.close()
        return String(decoding: try Data(contentsOf: out), as: UTF8.self).split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["K8S_CONTAINER"] as? String
        }
    }
}
