import ECSTestSupport
import Foundation
import Ledger
import RunModel
import TestSupport
import Testing

/// A failing `ecs` run's failure hook (and mail: the same tail) gets the end of its output, as a
/// local run's does. The executor journals a task's lines itself (with `ECS_TASK_ARN` and
/// `ECS_CONTAINER`), so the tail is kept from what it tells the scheduler's output sink it
/// journaled; before, the hook's standard input was empty.
@Suite(.enabled(if: Moto.isAvailableWithJournal, "needs moto and journald (scripts/test starts them)"), .serialized,
       .timeLimit(.minutes(3)))
struct ECSRunTailTests {
    @Test func aFailingTasksHookGetsItsLastLines() async throws {
        let setup = try await DaemonOnMotoTests.Setup()
        let job = Moto.unique("tail")
        let hookInput = setup.daemon.folder.appendingPathComponent("hook.stdin")
        try setup.daemon.write("ecs.cron", setup.schedule(
            job: job, command: "for i in $(seq 1 60); do echo \"line $i\"; done; exit 3",
            settings: ["CRON_ON_FAILURE=cat > '\(hookInput.path).part' && mv '\(hookInput.path).part' '\(hookInput.path)'"]))
        try setup.daemon.start()
        defer { setup.daemon.cleanUp() }
        #expect(try await poll(within: .seconds(60)) { FileManager.default.fileExists(atPath: hookInput.path) },
                "the hook never finished; log:\n\(setup.daemon.log)")
        #expect(try await setup.daemon.terminate() == 0)
        let lines = try String(contentsOf: hookInput, encoding: .utf8).split(separator: "\n")
        #expect(lines.map(String.init) == (11...60).map { "line \($0)" }, "\(lines)")
        #expect(try setup.daemon.runs(of: job).contains { $0.state == .failed && $0.exitCode == 3 })
    }
}
