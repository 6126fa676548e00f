import FargateExecutor
import Foundation
import Glibc
import Kubernetes
import Ledger
import RunModel
import SeededRandom
import TestSupport
import Testing

/// The daemon killed with SIGKILL at every step of a run, 100 times in all, against the emulator and
/// the Fargate controller (which keeps running the pods while the daemon is dead, as Fargate would).
///
/// Each step is hit exactly by a failpoint (`FARGATE_CRON_FAILPOINT`, see `Failpoint`): before the
/// Job's POST, after it, when the pod is seen running, when it finished (output read, pod not yet
/// deleted), just after the pod's deletion, and inside a garbage-collection sweep. The rest of the
/// kills come at pseudo-random instants. Afterwards, with the daemon stopped:
/// - no slot has two Jobs (by the `fargate-cron/scheduled-at` label), and every Job has its slot in
///   the ledger (the intent is written before the POST);
/// - no two Jobs of the `forbid` job were active at once (each started no earlier than the previous
///   one completed, to the second the API reports);
/// - once the daemon runs again, no finished pod of ours is left in the cluster.
@Suite("Crashes at every step of a run", .enabled(if: Peers.isAvailable), .serialized)
struct CrashTests {
    static let failpoints = ["before-create", "after-create", "running", "finished", "pod-deleted", "sweep"]
    static let killsPerFailpoint = 3
    static let randomKills = 100 - failpoints.count * killsPerFailpoint

    @Test func killedAtEveryStepItNeverDoublesAJobOrOverlapsAndLeavesNoFinishedPod() async throws {
        let namespace = Peers.unique("crash")
        let job = Peers.unique("main")
        let controller = try FargateController(namespace: namespace)
        defer { withExtendedLifetime(controller) {} }
        let client = try Peers.client()
        let daemon = try DaemonProcess.onCluster()
        defer { daemon.cleanUp() }
        // `main` keeps every Job, so the cluster keeps the evidence; `filler` keeps none, so each of
        // its runs ends with a sweep that deletes its previous Job (the "sweep" failpoint).
        try daemon.write("crash.cron", """
            CRON_NAMESPACE=\(namespace)
            CRON_IMAGE=app:1
            CRON_CPU=0.25
            CRON_MEMORY=0.5Gi
            CRON_KEEP_SUCCEEDED=1000
            CRON_KEEP_FAILED=1000
            CRON_ANNOTATIONS=test.fargate-cron/run-seconds=1,test.fargate-cron/lines=2
            * * * * * * \(job) bin/work

            CRON_KEEP_SUCCEEDED=0
            CRON_KEEP_FAILED=0
            CRON_ANNOTATIONS=test.fargate-cron/run-seconds=0.2,test.fargate-cron/lines=1
            */2 * * * * * \(Peers.unique("filler")) bin/fill

            """)
        let environment = ["FARGATE_CRON_GC_INTERVAL": "2"]

        let began = ContinuousClock.now
        var reached: [String: Int] = [:]
        for failpoint in Self.failpoints {
            // The Nth pass, N = 1, 2, ...: each start makes some progress before it dies, as a real
            // crash would, instead of dying at once on the same re-attached run every time.
            for pass in 1...Self.killsPerFailpoint {
                try daemon.start(environment: environment.merging(["FARGATE_CRON_FAILPOINT": "\(failpoint):\(pass)"]) { _, new in new })
                let process = try #require(daemon.process)
                if try await poll(within: .seconds(30), { !process.isRunning }) {
                    process.waitUntilExit()
                    #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL,
                            "the daemon exited at \(failpoint) without being killed; log:\n\(daemon.log)")
                    reached[failpoint, default: 0] += 1
                } else {
                    daemon.kill()  // the step did not come in time: still a kill
                }
            }
        }
        for failpoint in Self.failpoints {
            #expect(reached[failpoint, default: 0] >= 2, "failpoint \(failpoint) was reached \(reached[failpoint, default: 0]) times")
        }

        let failpointPhase = ContinuousClock.now - began
        // Kills at instants spread over a run's life (a fixed sequence, so a failure can be replayed).
        var generator = SplitMix64(seed: 0x5EED_CAFE)
        for _ in 0..<Self.randomKills {
            try daemon.start(environment: environment)
            try await Task.sleep(for: .milliseconds(50 + Int(generator.next() % 1_450)))
            daemon.kill()
        }

        print("crash tests: \(Self.failpoints.count * Self.killsPerFailpoint) failpoint kills in \(failpointPhase), "
              + "\(Self.randomKills) timed kills in \(ContinuousClock.now - began - failpointPhase)")
        // Back for good: the finished pods that the kills left behind go.
        let leftBehind = Set(try await client.list(Pod.self, in: namespace).items.filter { $0.status?.isFinished == true }.compactMap(\.metadata.uid))
        try daemon.start(environment: environment)
        #expect(try await poll(within: .seconds(30)) {
            let pods = try await client.list(Pod.self, in: namespace).items
            return !pods.contains { leftBehind.contains($0.metadata.uid ?? "") }
        }, "finished pods survived the restart; log:\n\(daemon.log)")
        // Exit 0 on SIGTERM; the 10 s bound is DaemonEndToEndTests' to check, here it may take longer
        // on loaded cores (runs are still being followed when it comes). SIGTERM goes to a running
        // daemon: in the first tens of milliseconds after exec, before `main` blocks the signal, it
        // ends any process (the poll above returns at once when the kills left no pod behind).
        #expect(try await poll(within: .seconds(30)) { try await daemon.status()["daemon"] as? String == "running" },
                "log:\n\(daemon.log)")
        let status = try await daemon.terminate(within: .seconds(30))
        #expect(status == 0, "exit status \(status.map(String.init) ?? "none: still running after 30 s"); log:\n\(daemon.log)")

        try await checkNoSlotDoubledAndNoOverlap(job: job, namespace: namespace, client: client, daemon: daemon)
    }

    private func checkNoSlotDoubledAndNoOverlap(
        job: String, namespace: String, client: KubeClient, daemon: DaemonProcess
    ) async throws {
        let jobs = try await client.list(Job.self, in: namespace, labelSelector: OwnershipLabels.selector(forJob: job)).items
        // Most starts die before a run ends (a re-attached run is finished first), so few Jobs are
        // made; enough that consecutive Jobs can be checked against each other.
        #expect(jobs.count >= 3, "only \(jobs.count) Jobs were made in 100 restarts")
        let slots = Dictionary(grouping: jobs) { $0.metadata.labels?[OwnershipLabels.scheduledAt] ?? "" }
        for (slot, made) in slots where made.count > 1 {
            Issue.record("slot \(slot) has \(made.count) Jobs: \(made.compactMap(\.metadata.name))")
        }
        let runs = try daemon.runs(of: job)
        let ledgerSlots = Set(runs.filter { $0.state != .skipped && $0.state != .missed }.map { OwnershipLabels.labelValue(of: $0.scheduledAt) })
        for slot in slots.keys where !ledgerSlots.contains(slot) {
            Issue.record("the Job for \(slot) has no run in the ledger: its intent was not written before the POST")
        }
        #expect(runs.filter { $0.state.isActive }.count <= 1, "the ledger has more than one active run")

        let started = jobs.compactMap { job in job.status?.startTime.map { (job.metadata.name ?? "", $0, job.status?.completionTime) } }
            .sorted { $0.1 < $1.1 }
        for (earlier, later) in zip(started, started.dropFirst()) {
            guard let completed = earlier.2 else {
                Issue.record("\(earlier.0) never completed, yet \(later.0) started after it")
                continue
            }
            #expect(later.1 >= completed, "\(later.0) started at \(later.1) while \(earlier.0) ran until \(completed)")
        }
    }
}
