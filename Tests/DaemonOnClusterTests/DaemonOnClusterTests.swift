import Foundation
import Kubernetes
import Ledger
import RunModel
import TestSupport
import Testing

/// `fargate-cron daemon` with `kubernetes` jobs against the API emulator and the test-side Fargate
/// controller, as a user runs it: a schedule file, a kubeconfig, the journal.
@Suite("The daemon on a cluster", .enabled(if: Peers.isAvailable), .serialized)
struct DaemonOnClusterTests {
    /// A schedule file of one `kubernetes` job in `namespace`, scripted for the controller.
    static func scheduleFile(
        job: String, namespace: String, schedule: String = "* * * * * *", script: [String: String] = [:],
        settings: [String] = []
    ) -> String {
        let annotations = script.sorted { $0.key < $1.key }.map { "test.fargate-cron/\($0.key)=\($0.value)" }
        return """
            CRON_NAMESPACE=\(namespace)
            CRON_IMAGE=app:1
            CRON_CPU=0.25
            CRON_MEMORY=0.5Gi
            \(annotations.isEmpty ? "" : "CRON_ANNOTATIONS=\(annotations.joined(separator: ","))")
            \(settings.joined(separator: "\n"))
            \(schedule) \(job) bin/report

            """
    }

    @Test func aSlotBecomesAJobWhoseOutputReachesTheJournalAndWhosePodIsDeleted() async throws {
        let namespace = Peers.unique("e2e")
        let job = Peers.unique("report")
        let controller = try FargateController(namespace: namespace)
        defer { withExtendedLifetime(controller) {} }
        let client = try Peers.client()
        let daemon = try DaemonProcess.onCluster()
        defer { daemon.cleanUp() }
        // One run: the first slot starts it, and forbid skips the slots while it runs.
        try daemon.write("e2e.cron", Self.scheduleFile(job: job, namespace: namespace, script: ["lines": "5", "run-seconds": "1"]))
        try daemon.start(environment: ["FARGATE_CRON_FARGATE_RATES": "0.04048,0.004445"])

        var finished: Run?
        #expect(try await poll(within: .seconds(30)) {
            finished = try daemon.runs(of: job).first { $0.state == .succeeded }
            return finished != nil
        }, "no run succeeded; daemon log:\n\(daemon.log)")
        let run = try #require(finished)
        let kubernetesJob = try #require(run.handle)
        #expect(kubernetesJob.executor == .kubernetes)
        #expect(kubernetesJob.reference.hasPrefix("\(namespace)/\(job)-"))
        let name = String(kubernetesJob.reference.split(separator: "/").last ?? "")
        #expect(run.createdAt != nil && run.finishedAt != nil)

        // The pod is gone (its Fargate node with it); the Job is kept (CRON_KEEP_SUCCEEDED=3).
        #expect(try await poll(within: .seconds(15)) {
            try await client.list(Pod.self, in: namespace).items.filter { $0.metadata.labels?["job-name"] == kubernetesJob.reference.split(separator: "/").last.map(String.init) }.isEmpty
        }, "the run's pod was not deleted; daemon log:\n\(daemon.log)")
        let jobs = try await client.list(Job.self, in: namespace).items
        #expect(jobs.contains { "\(namespace)/\($0.metadata.name ?? "")" == kubernetesJob.reference })

        // Every timestamp and the bill in the ledger, once the executor's report is in.
        var reported: Run?
        #expect(try await poll(within: .seconds(15)) {
            reported = try daemon.runs(of: job).first { $0.id == run.id && $0.reportedAt != nil }
            return reported != nil
        }, "run \(run.id) got no report; log:\n\(daemon.log)")
        if let reported {
            #expect(reported.pod?.hasPrefix("\(name)-") == true)
            #expect(reported.node?.isEmpty == false)
            #expect(reported.capacity == "0.25vCPU 0.5GB")
            let times = [reported.podCreatedAt, reported.podScheduledAt, reported.podFinishedAt, reported.podDeletedAt]
            #expect(times.allSatisfy { $0 != nil }, "pod timeline \(times)")
            #expect(reported.outputLines == 5)
            // Fargate's one-minute minimum: a two-second pod is billed 60 s, at 0.25 vCPU and 0.5 GB.
            #expect(reported.billedDuration == .seconds(60))
            // 60/3600 h × (0.25 × $0.04048 + 0.5 × $0.004445) = $0.000205708…
            #expect(reported.estimatedPrice?.microdollars == 206)
            let history = try await daemon.command(["history", job, "--json"])
            #expect(history.output.contains("\"estimatedPrice\""), "history --json: \(history.output)")
        }

        // Every line of output, read back through `fargate-cron logs` from the journal.
        var logs = ""
        #expect(try await poll(within: .seconds(15)) {
            logs = try await daemon.command(["logs", job, "--run", run.id.description]).output
            return (1...5).allSatisfy { logs.contains("line \($0) of \(name)") }
        }, "logs of run \(run.id):\n\(logs)")
        #expect(try await daemon.terminate() == 0)
    }

    @Test func gcRemovesWhatAKilledDaemonLeftAndADryRunOnlyLists() async throws {
        let namespace = Peers.unique("gc")
        let job = Peers.unique("leak")
        let controller = try FargateController(namespace: namespace)
        defer { withExtendedLifetime(controller) {} }
        let client = try Peers.client()
        let daemon = try DaemonProcess.onCluster()
        defer { daemon.cleanUp() }
        try daemon.write("gc.cron", Self.scheduleFile(job: job, namespace: namespace, script: ["run-seconds": "1"]))
        try daemon.start()
        // Killed while the first run's pod runs: nobody is left to delete it when it finishes.
        #expect(try await poll(within: .seconds(15)) { try await !client.list(Pod.self, in: namespace).items.isEmpty }, "no pod; log:\n\(daemon.log)")
        daemon.kill()
        #expect(try await poll(within: .seconds(15)) {
            try await client.list(Pod.self, in: namespace).items.contains { $0.status?.isFinished == true }
        })
        let pods = try await client.list(Pod.self, in: namespace).items
        try #require(pods.count == 1)
        let pod = try #require(pods[0].metadata.name)

        let dryRun = try await daemon.command(["gc", "--dry-run", "--crontabs", daemon.crontabs.path])
        #expect(dryRun.status == 0, "gc --dry-run: \(dryRun.errors)")
        #expect(dryRun.output.contains("would delete pod \(namespace)/\(pod)"), "gc --dry-run printed:\n\(dryRun.output)")
        #expect(try await client.list(Pod.self, in: namespace).items.count == 1, "a dry run deleted something")

        let collected = try await daemon.command(["gc", "--json", "--crontabs", daemon.crontabs.path])
        #expect(collected.status == 0, "gc: \(collected.errors)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(collected.output.utf8)) as? [String: Any])
        #expect((object["deleted"] as? [String])?.contains { $0.hasPrefix("pod \(namespace)/\(pod)") } == true, "gc printed \(collected.output)")
        #expect(object["by"] as? String == "gc")
        #expect(try await poll(within: .seconds(15)) { try await client.list(Pod.self, in: namespace).items.isEmpty })

        // The daemon back: it re-attaches the run (finished while it was away) and answers gc itself.
        try daemon.start()
        #expect(try await poll(within: .seconds(30)) { try daemon.runs(of: job).contains { $0.state.isTerminal && $0.state != .skipped } },
                "the run was not reconciled; log:\n\(daemon.log)")
        let byDaemon = try await daemon.command(["gc", "--json"])
        #expect(byDaemon.status == 0, "gc through the daemon: \(byDaemon.errors)")
        let answer = try #require(try JSONSerialization.jsonObject(with: Data(byDaemon.output.utf8)) as? [String: Any])
        #expect(answer["by"] as? String == "daemon")
        #expect(try await daemon.terminate() == 0)
    }

    /// A pod kept by `CRON_POD_TTL` is finished but still billed: `status` says so.
    @Test func statusNamesFinishedPodsThatStillExist() async throws {
        let namespace = Peers.unique("ttl")
        let job = Peers.unique("kept")
        let controller = try FargateController(namespace: namespace)
        defer { withExtendedLifetime(controller) {} }
        let client = try Peers.client()
        let daemon = try DaemonProcess.onCluster()
        defer { daemon.cleanUp() }
        try daemon.write("ttl.cron", Self.scheduleFile(job: job, namespace: namespace, settings: ["CRON_POD_TTL=1h"]))
        try daemon.start()
        #expect(try await poll(within: .seconds(30)) { try daemon.runs(of: job).contains { $0.state == .succeeded } },
                "no run succeeded; log:\n\(daemon.log)")
        let pods = try await client.list(Pod.self, in: namespace).items.filter { $0.status?.isFinished == true }
        let pod = try #require(pods.first?.metadata.name, "the finished pod was not kept for its TTL")

        let status = try await daemon.command(["status", "--json"])
        #expect(status.status == 0, "status: \(status.errors)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(status.output.utf8)) as? [String: Any])
        let listed = try #require(object["finishedPods"] as? [String], "status --json: \(status.output)")
        #expect(listed.contains { $0.hasPrefix("\(namespace)/\(pod) (Succeeded") }, "finishedPods: \(listed)")
        let text = try await daemon.command(["status"])
        #expect(text.output.contains("finished pods still in the cluster (billed until deleted):"), "\(text.output)")
        #expect(try await daemon.terminate() == 0)
    }
}
