import Foundation
import Glibc
import Ledger
import RunModel
import TestSupport
import Testing

/// A service manager that stops reading `NOTIFY_SOCKET` must not stop the daemon: `sd_notify`
/// blocks once the socket's queue (ten messages) is full. The daemon benchmark found it: SIGTERM
/// never finished after 100 seconds of `STATUS=` updates nobody read.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct DaemonUnreadNotifySocketTests {
    func succeeded(in daemon: DaemonProcess) throws -> Int {
        try daemon.runs(of: "tick").filter { $0.state == .succeeded }.count
    }

    @Test func aDaemonWhoseNotifySocketIsNeverReadKeepsSchedulingAndStopsOnSIGTERM() async throws {
        let daemon = try DaemonProcess()
        defer { daemon.cleanUp() }
        // Read once, for READY=1, then never again.
        let notify = try NotifyListener(path: daemon.folder.appendingPathComponent("notify.sock").path)
        try daemon.write("tick.cron", "CRON_EXECUTOR=local\nCRON_CONCURRENCY=allow\n* * * * * * tick true\n")
        try daemon.start(environment: ["NOTIFY_SOCKET": notify.path])
        // Twenty seconds of one status change a second: the queue is full after ten.
        #expect(try await poll(within: .seconds(60)) { try succeeded(in: daemon) >= 20 }, "log:\n\(daemon.log)")
        let before = try succeeded(in: daemon)
        #expect(try await poll(within: .seconds(10)) { try succeeded(in: daemon) >= before + 3 }, "scheduling stopped:\n\(daemon.log)")
        #expect(daemon.log.contains("sd_notify: Resource temporarily unavailable"), "log:\n\(daemon.log)")
        try daemon.send(SIGTERM)
        #expect(try await daemon.waitForExit(within: .seconds(10)) == 0, "log:\n\(daemon.log)")
    }
}
