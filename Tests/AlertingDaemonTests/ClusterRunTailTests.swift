import Foundation
import TestSupport
import Testing

/// A failing `kubernetes` run's mail and hook carry the end of its output, as a local run's do. The
/// executor writes a pod's lines to the journal itself (with `K8S_POD` and `K8S_CONTAINER`), so the
/// tail is kept from what it tells the scheduler's output sink it journaled; before, the mail said
/// the run had no output.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct ClusterRunTailTests {
    static var isAvailable: Bool { PeerEnvironment.hasKubernetesEmulator && MailPeer.isAvailable }

    @Test(.enabled(if: isAvailable, "needs the Kubernetes emulator and the smtp peer (scripts/test starts them)"))
    func aFailingKubernetesRunsMailAndHookGetItsLastLines() async throws {
        let namespace = "tail-\(UUID().uuidString.prefix(6).lowercased())"
        let controller = try FargateController(namespace: namespace)
        defer { withExtendedLifetime(controller) {} }
        let daemon = try DaemonProcess(prefix: "fc-ktail")
        defer { daemon.cleanUp() }
        let recipient = MailPeer.uniqueRecipient()
        let hookInput = daemon.folder.appendingPathComponent("hook.stdin")
        try daemon.write(
            "tail.cron",
            """
            CRON_NAMESPACE=\(namespace)
            CRON_IMAGE=app:1
            MAILTO=\(recipient)
            MAILFROM=cron@example.com
            CRON_ON_FAILURE=cat > '\(hookInput.path).part' && mv '\(hookInput.path).part' '\(hookInput.path)'
            CRON_ANNOTATIONS=test.fargate-cron/lines=60,test.fargate-cron/run-seconds=1,test.fargate-cron/exit-code=3
            @reboot nightly bin/report

            """)
        try daemon.start(
            environment: ["FARGATE_CRON_KUBECONFIG": try daemon.emulatorKubeconfig().path],
            arguments: ["--sendmail", try #require(MailPeer.sendmail)])
        var mail: [String] = []
        #expect(try await poll(within: .seconds(40)) {
            mail = try MailPeer.messages(to: recipient)
            return !mail.isEmpty
        }, "no mail arrived; log:\n\(daemon.log)")
        let message = try #require(mail.first)
        #expect(message.contains("failed with exit code 3."), "\(message)")
        #expect(message.contains("The last 50 of its 60 lines of output:"), "\(message)")
        #expect(message.contains("\nline 60 of "), "\(message)")
        #expect(message.contains("\nline 11 of "))
        #expect(!message.contains("\nline 10 of "), "the oldest lines go first")

        #expect(try await poll(within: .seconds(10)) { FileManager.default.fileExists(atPath: hookInput.path) },
                "the hook never finished; log:\n\(daemon.log)")
        let lines = try String(contentsOf: hookInput, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 50, "\(lines)")
        #expect(lines.first?.hasPrefix("line 11 of ") == true, "\(lines)")
        #expect(lines.last?.hasPrefix("line 60 of ") == true, "\(lines)")
        #expect(try await daemon.terminate() == 0)
    }
}
