import Foundation
import Ledger
import RunModel
import TestSupport
import Testing

/// The daemon's /metrics after a scripted sequence of runs (#17, Show): each metric as the ledger
/// implies it, read by prometheus-client's parser (and by a real Prometheus in MetricsTests).
@Suite(.serialized, .timeLimit(.minutes(3)))
struct MetricsEndpointTests {
    @Test(.enabled(if: PeerEnvironment.variables["FARGATE_CRON_TEST_PROMETHEUS_CLIENT"] == "1", "needs prometheus-client"))
    func eachMetricHasTheValueTheLedgerImplies() async throws {
        let daemon = try DaemonProcess(prefix: "fc-metrics")
        defer { daemon.cleanUp() }
        try daemon.write(
            "jobs.cron",
            """
            CRON_EXECUTOR=local
            0 3 1 1 * good echo fine
            0 3 1 1 * bad exit 3
            0 3 1 1 * slow sleep 30
            CRON_ALERT_AFTER=2s
            0 3 1 1 * stale exit 1
            CRON_ALERT_AFTER=
            CRON_SUSPEND=true
            0 3 1 1 * resting true

            """)
        let port = try freePort()
        try daemon.start(arguments: ["--without-cluster", "--metrics-address", "127.0.0.1:\(port)"])
        #expect(try await daemon.waitUntilRunning())

        for job in ["good", "good", "bad", "stale"] { _ = try await daemon.command(["trigger", job, "--wait"]) }
        #expect(try await daemon.command(["trigger", "slow"]).status == 0)
        #expect(try await daemon.command(["trigger", "slow"]).status == 1)  // skipped under forbid
        // `stale` failed and has not succeeded within 2 s: overdue.
        var samples: [String: Double] = [:]
        #expect(try await poll(within: .seconds(20)) {
            samples = try scrape(port: port)
            return samples["fargate_cron_overdue{cron_job=stale}"] == 1
        }, "\(samples)")

        func runs(_ job: String, _ state: RunState) throws -> Double {
            Double(try daemon.alertingRuns(of: job).filter { $0.state == state }.count)
        }
        #expect(samples["fargate_cron_runs_total{cron_job=good,state=succeeded}"] == (try runs("good", .succeeded)))
        #expect(samples["fargate_cron_runs_total{cron_job=good,state=succeeded}"] == 2)
        #expect(samples["fargate_cron_runs_total{cron_job=bad,state=failed}"] == (try runs("bad", .failed)))
        #expect(samples["fargate_cron_runs_total{cron_job=slow,state=skipped}"] == (try runs("slow", .skipped)))
        #expect(samples["fargate_cron_runs_total{cron_job=slow,state=skipped}"] == 1)
        #expect(samples["fargate_cron_run_duration_seconds_count{cron_job=good}"] == 2)
        #expect(samples["fargate_cron_active_runs{cron_job=slow}"] == 1)
        #expect(samples["fargate_cron_active_runs{cron_job=good}"] == 0)
        #expect(samples["fargate_cron_overdue_jobs{}"] == 1)
        #expect(samples["fargate_cron_leader{}"] == 1)
        let lastGood = try #require(try daemon.alertingRuns(of: "good").first { $0.state == .succeeded }?.finishedAt)
        let lastGoodMetric = try #require(samples["fargate_cron_last_success_timestamp_seconds{cron_job=good}"])
        #expect(abs(lastGoodMetric - lastGood.timeIntervalSince1970) < 1)
        let lastBad = try #require(try daemon.alertingRuns(of: "bad").first?.finishedAt)
        #expect(abs((samples["fargate_cron_last_failure_timestamp_seconds{cron_job=bad}"] ?? 0) - lastBad.timeIntervalSince1970) < 1)
        // The next fire time is the one `status` gives; a suspended job has none.
        let status = try await daemon.status()
        let jobs = try #require(status["jobs"] as? [[String: Any]])
        let next = try #require(jobs.first { $0["name"] as? String == "good" }?["next"] as? String)
        let nextDate = try Date(next, strategy: Date.ISO8601FormatStyle())
        #expect(samples["fargate_cron_next_fire_timestamp_seconds{cron_job=good}"] == nextDate.timeIntervalSince1970)
        #expect(samples["fargate_cron_next_fire_timestamp_seconds{cron_job=resting}"] == nil)
        #expect(try await daemon.terminate() == 0)
    }
}
