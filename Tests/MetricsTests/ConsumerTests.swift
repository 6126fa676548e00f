import Foundation
import Glibc
import Metrics
import TestSupport
import Testing

/// The exposition read by real consumers: prometheus-client's parser, and a real Prometheus
/// (Debian's 2.42) scraping the endpoint over HTTP.
@Suite struct ConsumerTests {
    static var hasParser: Bool { PeerEnvironment.variables["FARGATE_CRON_TEST_PROMETHEUS_CLIENT"] == "1" }
    static var prometheus: String? { PeerEnvironment.variables["FARGATE_CRON_TEST_PROMETHEUS"] }

    /// Every sample as prometheus-client's parser reads it: `name{label=value,...}` -> value.
    static func parsed(_ text: String) throws -> [String: Double] {
        let script = """
            import json, sys
            from prometheus_client.parser import text_string_to_metric_families
            out = {}
            for family in text_string_to_metric_families(sys.stdin.read()):
                for s in family.samples:
                    labels = ",".join(f"{k}={v}" for k, v in sorted(s.labels.items()))
                    out[f"{s.name}{{{labels}}}"] = repr(s.value)
            print(json.dumps(out))
            """
        let json = try run("/usr/bin/env", ["python3", "-c", script], input: text)
        let raw = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: String])
        return raw.compactMapValues { text in
            switch text {
            case "inf": .infinity
            case "-inf": -.infinity
            case "nan": .nan
            default: Double(text)
            }
        }
    }

    @Test(.enabled(if: hasParser, "needs prometheus-client (scripts/deps)"))
    func prometheusClientParsesEverySample() throws {
        let samples = try Self.parsed(ExpositionTests.sample().render())
        #expect(samples["fargate_cron_runs_total{cron_job=nightly-report,state=succeeded}"] == 3)
        #expect(samples["fargate_cron_runs_total{cron_job=nightly-report,state=failed}"] == 1)
        #expect(samples["fargate_cron_last_success_timestamp_seconds{cron_job=backup}"] == 1_795_923_000.5)
        #expect(samples["fargate_cron_run_duration_seconds_bucket{cron_job=backup,le=10}"] == 1)
        #expect(samples["fargate_cron_run_duration_seconds_bucket{cron_job=backup,le=60}"] == 2)
        #expect(samples["fargate_cron_run_duration_seconds_bucket{cron_job=backup,le=+Inf}"] == 3)
        #expect(samples["fargate_cron_run_duration_seconds_sum{cron_job=backup}"] == 7212.5)
        #expect(samples["fargate_cron_run_duration_seconds_count{cron_job=backup}"] == 3)
        #expect(samples["fargate_cron_leader{}"] == 1)
        // The escaped label value reads back as it was.
        #expect(samples["fargate_cron_escape_test{value=quote \" backslash \\ newline \n end}"] == -1.25)
        #expect(samples["fargate_cron_escape_test{value=inf}"] == .infinity)
        #expect(samples["fargate_cron_escape_test{value=nan}"]?.isNaN == true)
        #expect(samples.count == 16)
    }

    /// A real Prometheus scrapes the endpoint and answers queries with the values served.
    @Test(.enabled(if: prometheus != nil, "needs Debian's prometheus (scripts/deps)"))
    func prometheusScrapesTheEndpoint() async throws {
        let registry = ExpositionTests.sample()
        let server = try MetricsServer(address: ListenAddress(host: "127.0.0.1", port: 0), now: { Date() }) { head in
            MetricsEndpoint.respond(to: head, registry: registry)
        }
        defer { server.stop() }
        let scraper = try PrometheusProcess(binary: try #require(Self.prometheus), target: server.boundAddress)
        defer { scraper.stop() }

        #expect(try await scraper.waitUntilScraped(), "Prometheus never scraped the endpoint: \(scraper.log)")
        #expect(try scraper.query("fargate_cron_runs_total{cron_job=\"nightly-report\",state=\"succeeded\"}") == 3)
        #expect(try scraper.query("fargate_cron_last_success_timestamp_seconds{cron_job=\"backup\"}") == 1_795_923_000.5)
        #expect(try scraper.query("fargate_cron_run_duration_seconds_bucket{cron_job=\"backup\",le=\"60\"}") == 2)
        #expect(try scraper.query("fargate_cron_run_duration_seconds_count{cron_job=\"backup\"}") == 3)
        #expect(try scraper.query("fargate_cron_escape_test{value=\"quote \\\" backslash \\\\ newline \\n end\"}") == -1.25)
        // Prometheus' own verdict on the target: no sample it had to drop or could not parse.
        #expect(try scraper.query("scrape_samples_scraped") == 16)
    }
}

/// A Prometheus of its own for one test: configuration, storage and port in a temporary folder,
/// scraping one target every second; stopped (SIGTERM, then SIGKILL) and removed by `stop()`.
final class PrometheusProcess {
    let folder: URL
    let port: UInt16
    let process: Process

    init(binary: String, target: ListenAddress) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("prometheus-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let config = """
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
            scrape_configs:
              - job_name: fargate-cron
                static_configs:
                  - targets: ['\(target)']
            """
        try Data(config.utf8).write(to: folder.appendingPathComponent("prometheus.yml"))
        port = try freePort()
        process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [
            "--config.file=\(folder.path)/prometheus.yml", "--storage.tsdb.path=\(folder.path)/data",
            "--web.listen-address=127.0.0.1:\(port)", "--log.level=warn",
        ]
        guard FileManager.default.createFile(atPath: folder.appendingPathComponent("log").path, contents: nil) else {
            throw ClientError("create the log file", 0)
        }
        let log = try FileHandle(forWritingTo: folder.appendingPathComponent("log"))
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    var log: String { (try? String(contentsOf: folder.appendingPathComponent("log"), encoding: .utf8)) ?? "" }

    /// Waits (at most 60 s: Prometheus takes a few seconds to start) until the target is up.
    func waitUntilScraped() async throws -> Bool {
        try await poll(within: .seconds(60)) { (try? self.query("up{job=\"fargate-cron\"}")) == 1 }
    }

    /// The value of an instant query that selects one series, or nil when it selects none.
    func query(_ expression: String) throws -> Double? {
        let json = try run("/usr/bin/curl", ["-sfG", "--max-time", "10", "--data-urlencode", "query=\(expression)", "http://127.0.0.1:\(port)/api/v1/query"])
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        let result = (object?["data"] as? [String: Any])?["result"] as? [[String: Any]] ?? []
        guard result.count == 1, let value = result[0]["value"] as? [Any], let text = value.last as? String else { return nil }
        return Double(text)
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            let deadline = ContinuousClock.now + .seconds(10)
            while process.isRunning, ContinuousClock.now < deadline { usleep(50_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: folder)
    }
}

/// A port nothing listens on now (bound to 0, read, released).
func freePort() throws -> UInt16 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw ClientError("socket", errno) }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
            bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
        }
    }
    guard bound else { throw ClientError("bind", errno) }
    return UInt16(bigEndian: address.sin_port)
}
