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
    /// A failure hook that keeps its standard input in `folder/hook.RUN_ID`, whole once the file is
    /// there: one file a run, as the job's next slots fail too.
    static func hookKeepingItsInput(in folder: URL) -> String {
        let path = folder.appendingPathComponent("hook").path
        return "CRON_ON_FAILURE=cat > '\(path)'.$CRON_RUN_ID.part && mv '\(path)'.$CRON_RUN_ID.part '\(path)'.$CRON_RUN_ID"
    }

    /// What the hook of `hookKeepingItsInput(in:)` kept for `run`: its lines, or nil while it has not finished.
    static func hookInput(in folder: URL, of run: Run) throws -> [String]? {
        let path = folder.appendingPathComponent("hook.\(run.id.rawValue)").path
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        return try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    @Test func aFailingTasksHookGetsItsLastLines() async throws {
        let setup = try await DaemonOnMotoTests.Setup()
        let job = Moto.unique("tail")
        let folder = setup.daemon.folder
        try setup.daemon.write("ecs.cron", setup.schedule(
            job: job, command: "for i in $(seq 1 60); do echo \"line $i\"; done; exit 3",
            settings: [Self.hookKeepingItsInput(in: folder)]))
        try setup.daemon.start()
        defer { setup.daemon.cleanUp() }
        var lines: [String]?
        #expect(try await poll(within: .seconds(60)) {
            guard let failed = try setup.daemon.runs(of: job).first(where: { $0.state == .failed }) else { return false }
            lines = try Self.hookInput(in: folder, of: failed)
            return lines != nil
        }, "no failed run's hook finished; log:\n\(setup.daemon.log)")
        #expect(try await setup.daemon.terminate() == 0)
        #expect(lines == (11...60).map { "line \($0)" }, "\(String(describing: lines))")
        #expect(try setup.daemon.runs(of: job).contains { $0.state == .failed && $0.exitCode == 3 })
    }

    /// The daemon stopped while the task ran; the next start re-attaches it, and its hook gets the
    /// lines read after the re-attachment ("after"; "started" too if the stopped daemon had not
    /// read it yet), each once.
    @Test func aReattachedTasksHookGetsTheLinesReadAfterTheRestart() async throws {
        let setup = try await DaemonOnMotoTests.Setup()
        let job = Moto.unique("retail")
        let folder = setup.daemon.folder
        try setup.daemon.write("ecs.cron", setup.schedule(
            job: job, command: "echo started; sleep 4; echo after; exit 5", settings: [Self.hookKeepingItsInput(in: folder)]))
        try setup.daemon.start()
        defer { setup.daemon.cleanUp() }
        let run = try #require(try await setup.runningTask(of: job), "\(setup.daemon.log)")
        #expect(try await setup.daemon.terminate(within: .seconds(10)) == 0)
        try setup.daemon.start()
        var lines: [String]?
        #expect(try await poll(within: .seconds(60)) {
            lines = try Self.hookInput(in: folder, of: run)
            return lines != nil
        }, "the hook of run \(run.id) never finished; log:\n\(setup.daemon.log)")
        #expect(try await setup.daemon.terminate() == 0)
        #expect(try setup.daemon.runs(of: job).first { $0.id == run.id }?.exitCode == 5)
        #expect(lines == ["after"] || lines == ["started", "after"], "\(String(describing: lines))")
    }
}
