import ECS
import ECSTestSupport
import Foundation
import Ledger
import RunModel
import TestSupport
import Testing

/// `ecs` jobs on two hosts that elect a leader on a Lease (`--lease`, the Kubernetes emulator holds
/// it): only the leader starts tasks, and after it is killed the other takes over with no slot
/// started twice (RunTask's clientToken is the same for a slot whichever host sends it).
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

    @Test func onlyTheLeaderStartsTasksAndTheNextLeaderStartsNoSlotTwice() async throws {
        let setup = try await DaemonOnMotoTests.Setup()
        let namespace = Moto.unique("ecs-ha")
        let job = Moto.unique("leased")
        let schedule = setup.schedule(job: job, command: "echo tick; sleep 1", concurrency: "forbid")
        let (a, b) = (try Self.host("host-a", setup: setup, namespace: namespace), try Self.host("host-b", setup: setup, namespace: namespace))
        defer {
            a.cleanUp()
            b.cleanUp()
        }
        try a.write("ecs.cron", schedule)
        try b.write("ecs.cron", schedule)
        try a.start()
        #expect(try await poll(within: .seconds(60)) { try a.runs(of: job).contains { $0.state == .succeeded } }, "\(a.log)")
        try b.start()
        // host-a leads: it starts every task; host-b stands by and starts none.
        #expect(try await poll(within: .seconds(60)) { try a.runs(of: job).filter { $0.state == .succeeded }.count >= 3 }, "\(a.log)")
        #expect(try b.runs(of: job).isEmpty, "\(b.log)")

        a.kill()
        _ = try await a.waitForExit(within: .seconds(10))
        let killedAt = Date()
        #expect(try await poll(within: .seconds(60)) {
            try b.runs(of: job).filter { $0.state == .succeeded && $0.scheduledAt > killedAt }.count >= 2
        }, "\(b.log)")
        #expect(try await b.terminate() == 0)

        // No slot has two tasks, though two hosts with two ledgers started them; every task's slot
        // is a run in one of the ledgers (its intent is recorded before RunTask), and host-b's runs
        // all succeeded.
        let (tasks, oncePerSlot) = try await setup.tasks(of: job)
        #expect(oncePerSlot, "a slot has two tasks: \(tasks.map { $0.tag("fargate-cron/scheduled-at") ?? "?" })")
        let slots = Set(try (a.runs(of: job) + b.runs(of: job)).map { utc($0.scheduledAt) })
        #expect(tasks.allSatisfy { slots.contains($0.tag("fargate-cron/scheduled-at") ?? "") }, "a task of a slot that no ledger knows")
        let startedByA = try a.runs(of: job).filter { $0.handle != nil }.count
        #expect(tasks.count > startedByA, "host-b started no task")
        let ended = try b.runs(of: job).filter(\.state.isTerminal)
        #expect(!ended.isEmpty && ended.allSatisfy { $0.state == .succeeded }, "\(ended.map { "\($0.state) \($0.reason ?? "")" })")
    }
}
