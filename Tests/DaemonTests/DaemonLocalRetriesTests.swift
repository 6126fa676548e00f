import Foundation
import Ledger
import RunModel
import TestSupport
import Testing

/// `CRON_RETRIES` on a `local` job, through the real daemon (#12: it was silently ignored): the
/// schedule file's setting reaches the executor, the run's failed first attempt runs again after
/// Kubernetes' 10-second back-off, and the run is one ledger row that succeeded.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct DaemonLocalRetriesTests {
    @Test func aLocalJobsRetriesRunWithinOneRun() async throws {
        let daemon = try DaemonProcess()
        defer { daemon.cleanUp() }
        let counter = daemon.folder.appendingPathComponent("attempts").path
        try daemon.write(
            "retries.cron",
            """
            CRON_EXECUTOR=local
            CRON_RETRIES=2
            @reboot flaky n=$(($(cat '\(counter)' 2>/dev/null || echo 0) + 1)); echo $n >'\(counter)'; echo "flaky attempt $n"; [ $n -ge 2 ]

            """)
        try daemon.start()
        var runs: [Run] = []
        // 10 s of back-off between the two attempts, so up to 30 s in all on a loaded machine.
        #expect(try await poll(within: .seconds(30)) {
            runs = try daemon.runs(of: "flaky")
            return runs.first?.state.isTerminal == true
        }, "log:\n\(daemon.log)")
        #expect(runs.count == 1, "one run, however many attempts: \(runs.map(\.state))")
        #expect(runs.first?.state == .succeeded, "log:\n\(daemon.log)")
        let log = daemon.log
        #expect(log.contains("flaky attempt 1") && log.contains("flaky attempt 2"), "each attempt's output: \(log)")
        #expect(log.contains("fargate-cron: attempt 1 of 3 failed with exit status 1; attempt 2 starts in 10 s"), "\(log)")
        #expect(try await daemon.terminate() == 0)
    }
}
