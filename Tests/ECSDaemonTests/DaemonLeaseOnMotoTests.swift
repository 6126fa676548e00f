import ECS
import ECSTestSupport
import Foundation
import Ledger
import RunModel
import TestSupport
import Testing

/// `ecs` jobs on two hosts that elect a leader on a Lease (`--lease`, the Kubernetes emulator holds
/// it): only the leader starts tasks; when it is killed while a task runs, the other takes over,
/// adopts that task from ECS (its own ledger never knew it) and records it to its end, and no slot
/// is started twice (RunTask's clientToken is the same for a slot whichever host sends it).
@Suite(.enabled(if: Moto.isAvailableWithJournal && PeerEnvironment.hasKubernetesEmulator,
                "needs moto, journald and the Kubernetes emulator (scripts/test starts them)"),
       .serialized, .timeLimit(.minutes(5)))
struct DaemonLeaseOnMotoTests {
    /// A host: its own state folder and host name, the test's Lease with short durations.
    static func host(_ name: String, setup: DaemonOnMotoTests.Setup, namespace: String) throws -> DaemonProcess {
        let daemon = try DaemonProcess(prefix: "fc-ecs-ha")
        let kubeconfig = daemon.folder.appendingPathComponent("kubeconfig")
        try Data("""
            apiVersion: v1
            kind: Config
            clusters:
            - name: emulator
              cluster: {server: \(PeerEnvironment.kubernetesHTTP ?? "")}
            users:
            - name: \(name)
              user: {token: ecs-ha-\(namespace)-\(name)}
            contexts:
            - name: emulator
              context: {cluster: emulator, user: \(name)}
            current-context: emulator
            """.utf8).write(to: kubeconfig)
        daemon.logsToJournal = true
        daemon.environmentOverrides = setup.daemon.environmentOverrides.merging([
            "FARGATE_CRON_KUBECONFIG": kubeconfig.path, "FARGATE_CRON_HOST_NAME": name,
            "FARGATE_CRON_LEASE": "\(namespace)/fargate-cron", "FARGATE_CRON_LEASE_DURATION": "3s",
            "FARGATE_CRON_RENEW_DEADLINE": "2s", "FARGATE_CRON_RETRY_PERIOD": "500ms",
        ]) { _, new in new }
        return daemon
    }

    @Test func onlyTheLeaderStartsTasksAndTheNextLeaderAdoptsTheRunningOne() async throws {
        let setup = try await DaemonOnMotoTests.Setup()
        let namespace = Moto.unique("ecs-ha")
        let job = Moto.unique("leased")
        let schedule = setup.schedule(job: job, command: "echo started; sleep 6; echo done", concurrency: "forbid")
        let (a, b) = (try Self.host("host-a", setup: setup, namespace: namespace), try Self.host("host-b", setup: setup, namespace: namespace))
        defer {
            a.cleanUp()
            b.cleanUp()
        }
        try a.write("ecs.cron", schedule)
        try b.write("ecs.cron", schedule)
        // host-a leads and kills itself when its third task is first seen RUNNING.
        try a.start(environment: ["FARGATE_CRON_FAILPOINT": "ecs-running:3"])
        #expect(try await poll(within: .seconds(60)) { try a.runs(of: job).contains { $0.state == .succeeded } }, "\(a.log)")
        try b.start()
        #expect(try await a.waitForExit(within: .seconds(90)) == -SIGKILL, "\(a.log)")
        // Until then host-b stood by and started nothing.
        let orphan = try #require(try a.runs(of: job).last { $0.state.isActive && $0.handle != nil }, "\(a.log)")
        let orphanTask = try #require(orphan.handle?.reference)

        // host-b leads, adopts the running task, follows it to its end, and goes on with the job.
        var adopted: Run?
        #expect(try await poll(within: .seconds(60)) {
            let runs = try b.runs(of: job)
            adopted = runs.first { $0.handle?.reference == orphanTask && $0.state.isTerminal && $0.reportedAt != nil }
            return adopted != nil && runs.contains { $0.state == .succeeded && $0.scheduledAt > orphan.scheduledAt }
        }, "\(b.log)")
        #expect(try await b.terminate() == 0)
        #expect(adopted?.scheduledAt == orphan.scheduledAt && adopted?.state == .succeeded && adopted?.outputLines == 2,
                "\(String(describing: adopted))")

        // No slot has two tasks, though two hosts with two ledgers started them; every task's slot
        // is a run in one of the ledgers (its intent is recorded before RunTask), and host-b's runs
        // all succeeded.
        let (tasks, oncePerSlot) = try await setup.tasks(of: job)
        #expect(oncePerSlot, "a slot has two tasks: \(tasks.map { $0.tag("fargate-cron/scheduled-at") ?? "?" })")
        let slots = Set(try (a.runs(of: job) + b.runs(of: job)).map { utc($0.scheduledAt) })
        #expect(tasks.allSatisfy { slots.contains($0.tag("fargate-cron/scheduled-at") ?? "") }, "a task of a slot that no ledger knows")
        let startedByA = try a.runs(of: job).filter { $0.handle != nil }.count
        #expect(tasks.count > startedByA, "host-b started no task")
        let ended = try b.runs(of: job).filter { $0.state.isTerminal && $0.state != .skipped }
        #expect(!ended.isEmpty && ended.allSatisfy { $0.state == .succeeded }, "\(ended.map { "\($0.state) \($0.reason ?? "")" })")
    }
}
