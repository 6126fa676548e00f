import Foundation
import Glibc
import TestSupport
import Testing

/// How the running daemon reloads its schedule folder, as the real binary.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct DaemonReloadTests {
    /// How often the daemon logged a reload.
    static func reloads(in log: String) -> Int {
        log.components(separatedBy: "Reloaded schedules from").count - 1
    }

    /// Issue #12: one edit of a schedule file reloaded the schedules twice. An editor saves a file in
    /// steps (truncate, write, write, close), each an inotify event; events that came while the
    /// first reload waited out its debounce queued a second reload.
    @Test func test_oneEditReloadsOnce_bug12() async throws {
        let daemon = try DaemonProcess()
        defer { daemon.cleanUp() }
        try daemon.write("jobs.cron", "CRON_EXECUTOR=local\n@yearly yearly true\n")
        try daemon.start()
        #expect(try await poll(within: .seconds(15)) { FileManager.default.fileExists(atPath: daemon.state.path + "/control.sock") })
        #expect((try await daemon.status()["jobs"] as? [[String: Any]])?.count == 1)
        #expect(Self.reloads(in: daemon.log) == 0, "log:\n\(daemon.log)")

        // One save, in the steps an editor takes, 100 ms apart (well inside the 300 ms debounce).
        let file = try FileHandle(forWritingTo: daemon.crontabs.appendingPathComponent("jobs.cron"))
        try file.truncate(atOffset: 0)
        try file.write(contentsOf: Data("CRON_EXECUTOR=local\n@yearly yearly true\n".utf8))
        try await Task.sleep(for: .milliseconds(100))
        try file.write(contentsOf: Data("@monthly monthly true\n".utf8))
        try file.close()

        #expect(
            try await poll(within: .seconds(10)) {
                (try await daemon.status()["jobs"] as? [[String: Any]])?.count == 2
            }, "log:\n\(daemon.log)")
        // Time for a second reload to show, if one were coming (it followed within ~0.5 s).
        try await Task.sleep(for: .seconds(2))
        #expect(Self.reloads(in: daemon.log) == 1, "log:\n\(daemon.log)")

        try daemon.send(SIGTERM)
        #expect(try await daemon.waitForExit(within: .seconds(10)) == 0)
    }
}
