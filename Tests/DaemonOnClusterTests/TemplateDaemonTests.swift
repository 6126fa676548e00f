import Foundation
import Kubernetes
import Ledger
import TestSupport
import RunModel
import Testing

/// The templates of `check`'s own tests (Tests/SchedulesTests/Fixtures/templates), run by the real
/// daemon against the strict emulator, which refuses what a real API server refuses: each template
/// `check` accepts runs, with the main container's output in the ledger's count.
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
            reported = try daemon.runs(of: job).first { $0.reportedAt != nil }
            return reported != nil
        }, "no run of \(template) was reported; daemon log:\n\(daemon.log)")
        #expect(reported?.state == .succeeded, "\(String(describing: reported)); daemon log:\n\(daemon.log)")
        #expect(reported?.outputLines == 3, "the main container's three lines; daemon log:\n\(daemon.log)")
    }
}
