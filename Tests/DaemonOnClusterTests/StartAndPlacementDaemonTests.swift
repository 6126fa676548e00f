import Foundation
import HTTP
import Kubernetes
import Ledger
import RunModel
import TestSupport
import Testing

/// #14's stuck runs and placement through the real daemon: a run that cannot start fails at once with
/// the cluster's words in its ledger reason, its start failure and its journal event; a run whose pod
/// ran outside Fargate says so in `status` (over the control socket) and `history`.
@Suite("Start failures and placement through the daemon", .enabled(if: Peers.isAvailable), .serialized)
struct StartAndPlacementDaemonTests {
    /// Each test starts its one run with `trigger`; a schedule that fired during the test (the CI
    /// run that crossed a minute with `* * * * *`) would put a second, scheduled run first in
    /// `history`.
    static let neverDuringTheTest = "0 0 29 2 *"
    /// Sets what the emulator's world holds for `namespace` (`POST /_emulator/config`).
    static func configure(_ namespace: String, _ settings: [String: JSONValue]) async throws {
        var body = settings
        body["namespace"] = .string(namespace)
        let response = try await CurlTransport().send(HTTPRequest(
            method: .post, url: Peers.emulator + "/_emulator/config", headers: [("Content-Type", "application/json")],
            body: try JSONEncoder().encode(JSONValue.object(body))))
        guard response.status == 200 else { throw KubernetesError.invalidResponse("config: \(response.status)") }
    }

    /// Pod Security admission refuses the pod: the run fails at once (its default bound), the ledger
    /// says why and that it never started, the journal's `failed` event carries the reason.
    @Test func aRunPodSecurityRefusesFailsAtOnceSayingWhy() async throws {
        let namespace = Peers.unique("psa")
        let job = Peers.unique("refused")
        try await Self.configure(namespace, ["podSecurity": .string("restricted")])
        let controller = try FargateController(namespace: namespace)
        defer { withExtendedLifetime(controller) {} }
        let daemon = try DaemonProcess.onCluster()
        daemon.logsToJournal = true
        defer { daemon.cleanUp() }
        try daemon.write("psa.cron", DaemonOnClusterTests.scheduleFile(job: job, namespace: namespace, schedule: Self.neverDuringTheTest))
        try daemon.start()
        let began = Date()
        try await Task.sleep(for: .milliseconds(500))
        _ = try await daemon.command(["trigger", job])

        var failed: Run?
        #expect(try await poll(within: .seconds(30)) {
            failed = try daemon.runs(of: job).first { $0.state == .failed && $0.reportedAt != nil }
            return failed != nil
        }, "no run failed; daemon log:\n\(daemon.log)")
        let run = try #require(failed)
        #expect(Date().timeIntervalSince(began) < 20, "not the 300 s pending timeout")
        #expect(run.startFailure == .admissionRefused)
        #expect(run.failureCause == nil, "its command never ran")
        let reason = run.reason ?? ""
        #expect(reason.hasPrefix("cannot start: admission refused the pod"), "\(reason)")
        #expect(reason.contains(#"violates PodSecurity "restricted:latest""#), "\(reason)")
        #expect(daemon.log.contains("cannot start: admission refused the pod"), "the journal's failed event:\n\(daemon.log)")
        #expect(try await daemon.terminate() == 0)
    }

    /// No Fargate profile selects the pod and the cluster has an EC2 node: the run succeeds there,
    /// and `status` (from the running daemon) and `history` say it was not on Fargate.
    @Test func aRunOutsideFargateIsShownByStatusAndHistory() async throws {
        let namespace = Peers.unique("ec2")
        let job = Peers.unique("elsewhere")
        try await Self.configure(namespace, ["fargateProfiles": .array([]), "ec2Nodes": .integer(1)])
        let controller = try FargateController(namespace: namespace)
        defer { withExtendedLifetime(controller) {} }
        let daemon = try DaemonProcess.onCluster()
        defer { daemon.cleanUp() }
        try daemon.write("ec2.cron", DaemonOnClusterTests.scheduleFile(job: job, namespace: namespace, schedule: Self.neverDuringTheTest))
        try daemon.start()
        try await Task.sleep(for: .milliseconds(500))
        _ = try await daemon.command(["trigger", job])
        #expect(try await poll(within: .seconds(30)) {
            try daemon.runs(of: job).contains { $0.state == .succeeded && $0.reportedAt != nil }
        }, "no run was reported; daemon log:\n\(daemon.log)")

        let status = try await daemon.command(["status", "--json"])
        #expect(status.status == 0, "status: \(status.errors)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(status.output.utf8)) as? [String: Any])
        let jobs = try #require(object["jobs"] as? [[String: Any]], "\(status.output)")
        let last = try #require(jobs.first { $0["name"] as? String == job }?["lastRun"] as? [String: Any], "\(status.output)")
        let notice = last["notice"] as? String ?? ""
        #expect(notice.hasPrefix("not on Fargate (its node ip-10-0-"), "\(status.output)")
        let history = try await daemon.command(["history", job, "--json"])
        let runs = try #require(try JSONSerialization.jsonObject(with: Data(history.output.utf8)) as? [[String: Any]], "\(history.output)")
        let triggered = runs.first { $0["trigger"] as? String == "manual" }
        #expect(triggered?["placement"] as? String == "not-fargate", "\(history.output)")
        #expect((triggered?["placementNote"] as? String)?.contains("is not a Fargate node") == true, "\(history.output)")
        #expect(try await daemon.terminate() == 0)
    }

    /// `CRON_CONTAINER` names the main container of a template through the schedule file: its exit
    /// status is the run's in the ledger, the other container's success notwithstanding.
    @Test func theMainContainerCRONCONTAINERNamesGivesTheVerdict() async throws {
        let namespace = Peers.unique("main")
        let job = Peers.unique("second")
        let controller = try FargateController(namespace: namespace)
        defer { withExtendedLifetime(controller) {} }
        let daemon = try DaemonProcess.onCluster()
        defer { daemon.cleanUp() }
        try daemon.write("shipper.yaml", """
            apiVersion: batch/v1
            kind: Job
            spec:
              template:
                spec:
                  restartPolicy: Never
                  containers:
                    - name: shipper
                      image: shipper:1
                    - name: app
                      image: app:1
            """)
        try daemon.write("main.cron", DaemonOnClusterTests.scheduleFile(
            job: job, namespace: namespace, schedule: Self.neverDuringTheTest, script: ["exit-codes": "app=4"],
            settings: ["CRON_TEMPLATE=shipper.yaml", "CRON_CONTAINER=app"]))
        try daemon.start()
        try await Task.sleep(for: .milliseconds(500))
        _ = try await daemon.command(["trigger", job])
        var failed: Run?
        #expect(try await poll(within: .seconds(30)) {
            failed = try daemon.runs(of: job).first { $0.state == .failed && $0.reportedAt != nil }
            return failed != nil
        }, "no run failed; daemon log:\n\(daemon.log)")
        #expect(failed?.exitCode == 4, "\(String(describing: failed))")
        #expect(failed?.reason?.hasPrefix("exited with status 4") == true, "\(String(describing: failed?.reason))")
        #expect(failed?.failureCause == .exitStatus)
        #expect(try await daemon.terminate() == 0)
    }
}
