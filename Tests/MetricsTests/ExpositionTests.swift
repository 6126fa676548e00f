import Foundation
import Metrics
import Testing

@Suite struct ExpositionTests {
    /// A registry with every kind of family, as the daemon fills one.
    static func sample() -> MetricsRegistry {
        let registry = MetricsRegistry()
        let runs = registry.counter("fargate_cron_runs_total", help: "Runs that ended, by job and final state.", labels: ["cron_job", "state"])
        runs.increment("nightly-report", "succeeded", by: 3)
        runs.increment("nightly-report", "failed")
        runs.increment("backup", "succeeded")
        let lastSuccess = registry.gauge("fargate_cron_last_success_timestamp_seconds", help: "When the job last succeeded.", labels: ["cron_job"])
        lastSuccess.set(1_795_923_000, "nightly-report")
        lastSuccess.set(1_795_923_000.5, "backup")
        let duration = registry.histogram(
            "fargate_cron_run_duration_seconds", help: "How long runs took.", labels: ["cron_job"], buckets: [1, 10, 60, 600])
        duration.observe(0.5, "backup")
        duration.observe(12, "backup")
        duration.observe(7200, "backup")
        let up = registry.gauge("fargate_cron_leader", help: "1 while this daemon leads (always 1 without an election).")
        up.set(1)
        let escaped = registry.gauge("fargate_cron_escape_test", help: "A help text with a \\ backslash\nand a second line.", labels: ["value"])
        escaped.set(-1.25, "quote \" backslash \\ newline \n end")
        escaped.set(.infinity, "inf")
        escaped.set(.nan, "nan")
        return registry
    }

    @Test func textExposition() throws {
        try assertSnapshot(Self.sample().render(), named: "exposition.txt")
    }

    @Test func removingAJobsSeriesRemovesThemFromEveryFamily() {
        let registry = Self.sample()
        registry.removeSeries(label: "cron_job", value: "backup")
        let text = registry.render()
        #expect(!text.contains("cron_job=\"backup\""))
        #expect(text.contains("fargate_cron_runs_total{cron_job=\"nightly-report\",state=\"failed\"} 1"))
        // Families stay, with their HELP and TYPE, even with no series left.
        #expect(text.contains("# TYPE fargate_cron_run_duration_seconds histogram"))
    }

    @Test func collectorsRunBeforeEachRendering() {
        let registry = MetricsRegistry()
        let gauge = registry.gauge("fargate_cron_active_runs", help: "Runs active now.")
        let counter = registry.counter("renders_total", help: "Renderings.")
        registry.onCollect {
            counter.increment()
            gauge.set(counter.value() ?? 0)
        }
        _ = registry.render()
        #expect(registry.render().contains("fargate_cron_active_runs 2\n"))
    }

    @Test(arguments: [
        (1.0, "1"), (0.0, "0"), (-3.0, "-3"), (0.25, "0.25"), (1e21, "1e+21"), (1.5e-7, "1.5e-07"),
        (Double.infinity, "+Inf"), (-Double.infinity, "-Inf"), (Double.nan, "NaN"), (9_007_199_254_740_993.0, "9007199254740992.0"),
    ])
    func sampleValues(_ value: Double, _ text: String) {
        let registry = MetricsRegistry()
        registry.gauge("g", help: "h").set(value)
        #expect(registry.render().hasSuffix("g \(text)\n"))
    }
}
