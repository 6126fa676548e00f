import HTTP
import ArgumentParser
import Foundation
import Kubernetes

/// `bench-kube`, a benchmark driver (not shipped): the client side of `scripts/bench/kube`. Measures create+get
/// against an API server and the memory of following many log streams, and prints one JSON object.
@main
struct KubeBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-kube", abstract: "Benchmark the Kubernetes client (for scripts/bench/kube).")

    @Option(help: "The API server (the test emulator; it must offer /_emulator/logs).")
    var server: String

    @Option(help: "create+get pairs to time.")
    var iterations = 1000

    @Option(help: "Concurrent followed log streams.")
    var streams = 200

    @Option(help: "Lines written to each stream.")
    var lines = 50

    func run() async throws {
        let transport = CurlTransport()
        let client = KubeClient(server: server, transport: transport, credentials: NoCredentials())
        let namespace = "bench-\(UInt32.random(in: 0...UInt32.max))"

        // create+get, one pair after the other, as the daemon does when it starts a run.
        for warmup in 0..<20 {
            _ = try await client.create(Self.job("warmup-\(warmup)"), in: namespace)
        }
        var pairs: [Duration] = []
        pairs.reserveCapacity(iterations)
        let clock = ContinuousClock()
        let cpuBefore = Self.cpuSeconds()
        let started = clock.now
        for index in 0..<iterations {
            let before = clock.now
            let created = try await client.create(Self.job("bench-\(index)"), in: namespace)
            _ = try await client.get(Job.self, named: created.metadata.name!, in: namespace)
            pairs.append(clock.now - before)
        }
        let elapsed = clock.now - started
        let cpu = Self.cpuSeconds() - cpuBefore
        pairs.sort()
        let seconds = Double(elapsed / .milliseconds(1)) / 1000

        // Memory while following many log streams.
        let logNamespace = namespace + "-logs"
        for index in 0..<streams {
            _ = try await client.create(Pod(metadata: ObjectMeta(name: "pod-\(index)")), in: logNamespace)
        }
        let rssBefore = Self.residentKilobytes()
        let peak = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<streams {
                group.addTask {
                    var count = 0
                    for try await _ in try await client.logs(ofPod: "pod-\(index)", in: logNamespace, follow: true) {
                        count += 1
                    }
                    return count
                }
            }
            // Write the lines in rounds while every stream is open.
            var peakRSS = 0
            for round in 0..<lines {
                for index in 0..<streams {
                    try await Self.control(
                        transport, server, "logs/\(logNamespace)/pod-\(index)",
                        #"{"lines":["round \#(round) of pod \#(index): lorem ipsum dolor sit amet"],"close":\#(round == lines - 1)}"#)
                }
                peakRSS = max(peakRSS, Self.residentKilobytes())
            }
            var total = 0
            for try await count in group { total += count }
            guard total == streams * lines else {
                throw ValidationError("received \(total) log lines, expected \(streams * lines)")
            }
            return peakRSS
        }
        let result: [String: Any] = [
            "client": "fargate-cron (libcurl)", "iterations": iterations, "seconds": seconds,
            "requests_per_second": Double(iterations * 2) / seconds,
            "client_cpu_us_per_request": cpu / Double(iterations * 2) * 1_000_000,
            "p50_ms": Self.milliseconds(pairs[pairs.count / 2]),
            "p99_ms": Self.milliseconds(pairs[min(pairs.count - 1, pairs.count * 99 / 100)]),
            "streams": streams, "lines_per_stream": lines,
            "rss_before_streams_kb": rssBefore, "rss_peak_streams_kb": peak,
        ]
        let data = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }

    static func job(_ name: String) -> Job {
        Job(
            metadata: ObjectMeta(name: name, labels: ["app.kubernetes.io/managed-by": "fargate-cron"]),
            spec: JobSpec(template: PodTemplateSpec(spec: PodSpec(
                containers: [Container(name: "job", image: "busybox:1.36", command: ["/bin/sh", "-c", "true"])],
                restartPolicy: "Never"))))
    }

    static func milliseconds(_ duration: Duration) -> Double {
        Double(duration / .microseconds(1)) / 1000
    }

    static func control(_ transport: CurlTransport, _ server: String, _ path: String, _ body: String) async throws {
        let response = try await transport.send(HTTPRequest(
            method: .post, url: "\(server)/_emulator/\(path)", headers: [("Content-Type", "application/json")],
            body: Data(body.utf8)))
        guard response.status == 200 else { throw ValidationError("emulator control \(path): \(response.status)") }
    }

    /// User plus system CPU time of this process so far (`getrusage`).
    static func cpuSeconds() -> Double {
        var usage = rusage()
        guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return .nan }
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1_000_000 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// VmRSS of this process, from /proc/self/status.
    static func residentKilobytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return -1 }
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? -1
    }
}
