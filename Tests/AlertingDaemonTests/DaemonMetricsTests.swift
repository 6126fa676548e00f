import Daemon
import Foundation
import HTTP
import Kubernetes
import Metrics
import TestSupport
import Testing

/// The metrics fed from outside the scheduler's events: the Kubernetes client's requests (through
/// its request observer, against the emulator), leadership, and the Fargate bill.
@Suite struct DaemonMetricsTests {
    @Test(.enabled(if: PeerEnvironment.hasKubernetesEmulator, "needs the Kubernetes emulator (scripts/test starts it)"))
    func apiRequestsAndErrorsByVerb() async throws {
        try Curl.ready()
        let metrics = DaemonMetrics(now: { Date() })
        var client = KubeClient(
            server: try #require(PeerEnvironment.kubernetesHTTP), transport: CurlTransport(),
            credentials: NoCredentials(identity: "test"))
        client.requestObserver = { verb, failed in metrics.countAPIRequest(verb: verb, failed: failed) }
        _ = try await client.list(Job.self, in: "alerting-metrics")
        _ = try await client.list(Job.self, in: "alerting-metrics")
        #expect(try await client.find(Job.self, named: "no-such-job", in: "alerting-metrics") == nil)  // a 404
        let text = metrics.registry.render()
        #expect(text.contains("fargate_cron_api_requests_total{api=\"kubernetes\",verb=\"list\"} 2\n"))
        #expect(text.contains("fargate_cron_api_requests_total{api=\"kubernetes\",verb=\"get\"} 1\n"))
        #expect(text.contains("fargate_cron_api_errors_total{api=\"kubernetes\",verb=\"get\"} 1\n"))
        #expect(!text.contains("fargate_cron_api_errors_total{api=\"kubernetes\",verb=\"list\"}"))
    }

    @Test func leadershipDefaultsToLeadingAndFollowsTheElection() {
        let metrics = DaemonMetrics(now: { Date() })
        #expect(metrics.registry.render().contains("fargate_cron_leader 1\n"))
        metrics.setLeader(false)
        #expect(metrics.registry.render().contains("fargate_cron_leader 0\n"))
    }
}
