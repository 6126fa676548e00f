import Foundation
import Scheduler
import Testing

/// Issue #12: the README said the control socket was in `/run/fargate-cron` (the unit made that
/// runtime directory), while the daemon puts it in the state directory, where every command looks
/// for it through `--state-dir`. The README, the unit file and the code now say the same.
struct ControlSocketLocationTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test func test_theReadmeTheUnitAndTheCodeAgreeWhereTheControlSocketIs_bug12() throws {
        let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        let unit = try String(contentsOf: Self.root.appendingPathComponent("systemd/fargate-cron.service"), encoding: .utf8)
        // The unit's StateDirectory= is /var/lib/fargate-cron, which systemd passes as $STATE_DIRECTORY.
        #expect(unit.contains("\nStateDirectory=fargate-cron\n"))
        let socket = ControlSocket.path(in: URL(fileURLWithPath: "/var/lib/fargate-cron"))
        #expect(readme.contains("`\(socket)`"), "the README names \(socket)")
        #expect(!readme.contains("control socket in `/run/fargate-cron`"))
        #expect(!unit.contains("RuntimeDirectory="), "the unit makes a runtime directory nothing uses")
    }
}
