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

    /// The daemon stopped while the task ran; the next start re-attaches it, and its hook gets the
    /// lines read after the re-attachment ("after"; "started" too if the stopped daemon had not
    /// read it yet), each once.
    @Test func aReattachedTasksHookGetsTheLinesReadAfterTheRestart() async throws {
        let setup = try await DaemonOnMotoTests.Setup()
        let job = Moto.unique("retail")
        // One file a run: the job's next slots fail too, and their hooks must not overwrite this one's.
        let hookInput = setup.daemon.folder.appendingPathComponent("hook")
        try setup.daemon.write("ecs.cron", setup.schedule(
            job: job, command: "echo started; sleep 4; echo after; exit 5",
            settings: ["CRON_ON_FAILURE=cat > '\(hookInput.path)'.$CRON_RUN_ID.part && mv '\(hookInput.path)'.$CRON_RUN_ID.part '\(hookInput.path)'.$CRON_RUN_ID"]))
        try setup.daemon.start()
        defer { setup.daemon.cleanUp() }
        var running: Run?
        #expect(try await poll(within: .seconds(60)) {
            running = try setup.daemon.runs(of: job).first { $0.state.isActive && $0.handle != nil }
            guard let arn = running?.handle?.reference else { return false }
            return try await setup.front.tasks().contains { $0.taskArn == arn && $0.lastStatus == "RUNNING" }
        }, "\(setup.daemon.log)")
        let run = try #require(running)
        #expect(try await setup.daemon.terminate(within: .seconds(10)) == 0)
        try setup.daemon.start()
        let input = hookInput.path + ".\(run.id.rawValue)"
        #expect(try await poll(within: .seconds(60)) { FileManager.default.fileExists(atPath: input) },
                "the hook of run \(run.id) never finished; log:\n\(setup.daemon.log)")
        #expect(try await setup.daemon.terminate() == 0)
        #expect(try setup.daemon.runs(of: job).first { $0.id == run.id }?.exitCode == 5)
        let lines = try String(contentsOfFile: input, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines == ["after"] || lines == ["started", "after"], "\(lines)")
    }
}
