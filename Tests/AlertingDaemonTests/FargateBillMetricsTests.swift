import Foundation
import HTTP
import Kubernetes
import Ledger
import RunModel
import TestSupport
import Testing

/// The Fargate bill and the API requests in the daemon's /metrics, for a `kubernetes` job run on the
/// emulator with the test-side Fargate controller: the counters equal the ledger's cost columns.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct FargateBillMetricsTests {
    static var isAvailable: Bool {
        PeerEnvironment.hasKubernetesEmulator && PeerEnvironment.variables["FARGATE_CRON_TEST_PROMETHEUS_CLIENT"] == "1"
    }

    @Test(.enabled(if: isAvailable, "needs the Kubernetes emulator and prometheus-client"))
    func billedSecondsAndCostAreTheLedgers() async throws {
        let namespace = "alert-\(UUID().uuidString.prefix(6).lowercased())"
        let job = "billed"
        let controller = try FargateController(namespace: namespace)
        defer { withExtendedLifetime(controller) {} }
        let daemon = try DaemonProcess(prefix: "fc-bill")
        defer { daemon.cleanUp() }
        let kubeconfig = try daemon.emulatorKubeconfig()
        try daemon.write(
            "bill.cron",
            """
            CRON_NAMESPACE=\(namespace)
            CRON_IMAGE=app:1
            CRON_CPU=0.25
            CRON_MEMORY=0.5Gi
            CRON_ANNOTATIONS=test.fargate-cron/lines=2,test.fargate-cron/run-seconds=1
            @reboot \(job) bin/report

            """)
        let port = try freePort()
        try daemon.start(
            environment: ["FARGATE_CRON_KUBECONFIG": kubeconfig.path, "FARGATE_CRON_FARGATE_RATES": "0.04048,0.004445"],
            arguments: ["--metrics-address", "127.0.0.1:\(port)"])
        var reported: Run?
        #expect(try await poll(within: .seconds(40)) {
            // Reported and ended: the executor records its report a moment before the run's end.
            reported = try daemon.alertingRuns(of: job).first { $0.reportedAt != nil && $0.state.isTerminal }
            return reported != nil
        }, "no reported run; log:\n\(daemon.log)")
        let run = try #require(reported)
        let billed = try #require(run.billedDuration)
        let price = try #require(run.estimatedPrice)
        let samples = try scrape(port: port)
        #expect(samples["fargate_cron_fargate_billed_seconds_total{cron_job=\(job)}"] == Double(billed.components.seconds))
        #expect(samples["fargate_cron_fargate_cost_dollars_total{cron_job=\(job)}"] == Double(price.microdollars) / 1_000_000)
        #expect(samples["fargate_cron_runs_total{cron_job=\(job),state=succeeded}"] == 1)
        #expect((samples["fargate_cron_api_requests_total{api=kubernetes,verb=create}"] ?? 0) >= 1, "\(samples)")
        #expect(try await daemon.terminate() == 0)
    }
}
