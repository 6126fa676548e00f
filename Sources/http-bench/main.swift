// The client side of scripts/bench/http: what N concurrent streams and R concurrent requests cost
// the transport in threads, connections, memory and time, against the emulator directly (HTTP/1.1)
// or through nghttpx (HTTP/2). Prints one JSON object per scenario, one a line.
//
// Usage: http-bench --scenario requests|streams --server URL --control URL [--ca PEM] --label NAME
//                   [--streams N] [--lines 2] [--requests 1000 --concurrency 50]
// One scenario a process, so that each starts with no connection and no thread of the event loop.
//   --server   where the measured transfers go (https: the nghttpx front; http: the emulator)
//   --control  the emulator's own plain-HTTP URL, for set-up (pods) and log lines, on a second transport
import CMalloc
import Foundation
import HTTP
import Kubernetes

struct Options {
    var server = "", control = "", label = "", scenario = "", ca: String?
    var streams = 10
    var lines = 2
    var requests = 1000
    var concurrency = 50

    init(_ arguments: [String]) throws {
        var rest = arguments.dropFirst()
        while let flag = rest.popFirst() {
            guard let value = rest.popFirst() else { throw BenchError("\(flag) needs a value") }
            switch flag {
            case "--server": server = value
            case "--control": control = value
            case "--label": label = value
            case "--ca": ca = value
            case "--scenario": scenario = value
            case "--streams": streams = Int(value) ?? streams
            case "--lines": lines = Int(value) ?? lines
            case "--requests": requests = Int(value) ?? requests
            case "--concurrency": concurrency = Int(value) ?? concurrency
            default: throw BenchError("unknown option \(flag)")
            }
        }
        guard !server.isEmpty, !control.isEmpty else { throw BenchError("--server and --control are required") }
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Threads of this process now (`/proc/self/task`).
func threads() throws -> Int { try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count }

/// VmRSS of this process in kB (`/proc/self/status`).
func residentKilobytes() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
        let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
    else { return -1 }
    return Int(line.split(separator: " ").dropFirst().first ?? "") ?? -1
}

/// Bytes glibc's allocator has handed out and not had back (`mallinfo2`: arenas and large blocks).
func heapInUse() -> Int {
    Int(cmalloc_heap_in_use())
}

func milliseconds(_ duration: Duration) -> Double { Double(duration / .microseconds(1)) / 1000 }

func emit(_ fields: [String: Any]) throws {
    let data = try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
}

func control(_ transport: CurlTransport, _ base: String, _ path: String, _ body: String) async throws {
    let response = try await transport.send(HTTPRequest(
        method: .post, url: "\(base)/_emulator/\(path)", headers: [("Content-Type", "application/json")],
        body: Data(body.utf8)))
    guard response.status == 200 else { throw BenchError("emulator control \(path): \(response.status)") }
}

/// A one-container pod on a node, its container running: what the Job controller and the kubelet make,
/// and whose output the emulator serves (like an API server, it refuses the logs of a pod with no
/// container, and answers those of a pod on no node with an empty body).
func runningPod(_ name: String) throws -> Pod {
    try KubernetesJSON.decoder.decode(Pod.self, from: Data("""
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "\(name)"},
         "spec": {"nodeName": "fargate-ip-10-0-1-1.compute.internal", "restartPolicy": "Never",
                  "containers": [{"name": "job", "image": "busybox:1.36"}]},
         "status": {"phase": "Running", "containerStatuses": [{"name": "job", "ready": true, "restartCount": 0,
                    "state": {"running": {"startedAt": "2026-03-08T03:00:00Z"}}}]}}
        """.utf8))
}

/// N followed log streams open at once: threads, connections, RSS, time until every one delivers.
func streams(_ count: Int, _ options: Options, baseline: Int) async throws {
    let tls = TLSConfiguration(certificateAuthority: try options.ca.map { try Data(contentsOf: URL(fileURLWithPath: $0)) })
    let transport = CurlTransport(configuration: .init(tls: tls, requestTimeout: .seconds(60)))
    let client = KubeClient(server: options.server, transport: transport, credentials: NoCredentials())
    let setupTransport = CurlTransport()
    // The pods are made as the test harness (`system:` tokens are not held to the shipped Role, which
    // lets the daemon read pods but not create them: the emulator answered this client 403 since it
    // enforces RBAC).
    let setup = KubeClient(
        server: options.control, transport: setupTransport, credentials: StaticToken("system:admin", identity: "the benchmark's set-up"))
    let namespace = "bench-streams-\(count)-\(UInt32.random(in: 0...UInt32.max))"
    for index in 0..<count { _ = try await setup.create(try runningPod("pod-\(index)"), in: namespace) }
    let rssBefore = residentKilobytes()
    let clock = ContinuousClock()
    let started = clock.now
    let opened = Counter()
    let (result, peakThreads, openTime, rssOpen) = try await withThrowingTaskGroup(of: Int.self) { group in
        for index in 0..<count {
            group.addTask {
                var lines = 0
                for try await _ in try await client.logs(ofPod: "pod-\(index)", in: namespace, follow: true) {
                    lines += 1
                    if lines == 1 { opened.increment() }
                }
                return lines
            }
        }
        for index in 0..<count { try await control(setupTransport, options.control, "logs/\(namespace)/pod-\(index)", #"{"lines":["first"]}"#) }
        var peak = try threads()
        while opened.value < count {
            try await Task.sleep(for: .milliseconds(20))
            peak = max(peak, try threads())
        }
        let openTime = clock.now - started
        let rss = residentKilobytes()
        for round in 1..<options.lines {
            for index in 0..<count {
                let close = round == options.lines - 1
                try await control(setupTransport, options.control, "logs/\(namespace)/pod-\(index)",
                                  #"{"lines":["line \#(round)"],"close":\#(close)}"#)
            }
            peak = max(peak, try threads())
        }
        var total = 0
        for try await lines in group { total += lines }
        return (total, peak, openTime, rss)
    }
    guard result == count * options.lines else { throw BenchError("received \(result) lines, expected \(count * options.lines)") }
    let statistics = transport.statistics
    try emit([
        "scenario": "streams", "route": options.label, "streams": count, "lines_per_stream": options.lines,
        "threads_baseline": baseline, "threads_peak": peakThreads, "threads_added": peakThreads - baseline,
        "connections_opened": statistics.connectionsOpened, "transfers": statistics.transfers,
        "ms_until_all_open": milliseconds(openTime), "rss_before_kb": rssBefore, "rss_all_open_kb": rssOpen,
    ])
}

/// R list requests, C at a time: connections, throughput, latency.
func requests(_ options: Options, baseline: Int) async throws {
    let tls = TLSConfiguration(certificateAuthority: try options.ca.map { try Data(contentsOf: URL(fileURLWithPath: $0)) })
    let transport = CurlTransport(configuration: .init(tls: tls, requestTimeout: .seconds(60)))
    let client = KubeClient(server: options.server, transport: transport, credentials: NoCredentials())
    let namespace = "bench-requests-\(UInt32.random(in: 0...UInt32.max))"
    let clock = ContinuousClock()
    // The first requests open the connections; from then on the heap should stay flat (the event
    // loop once leaked ~800 bytes at every wake-up).
    for _ in 0..<options.concurrency { _ = try await client.list(Pod.self, in: namespace) }
    var latencies: [Duration] = []
    latencies.reserveCapacity(options.requests)  // not counted as the transport's growth
    let heapBefore = heapInUse()
    let started = clock.now
    var peak = try threads()
    try await withThrowingTaskGroup(of: Duration.self) { group in
        for index in 0..<options.requests {
            if index >= options.concurrency {
                latencies.append(try await group.next()!)
                peak = max(peak, try threads())
            }
            group.addTask {
                let before = clock.now
                _ = try await client.list(Pod.self, in: namespace)
                return clock.now - before
            }
        }
        for try await latency in group { latencies.append(latency) }
    }
    let elapsed = clock.now - started
    let heapGrowth = heapInUse() - heapBefore
    latencies.sort()
    let statistics = transport.statistics
    try emit([
        "scenario": "requests", "route": options.label, "requests": options.requests, "concurrency": options.concurrency,
        "requests_per_second": Double(options.requests) / (milliseconds(elapsed) / 1000),
        "p50_ms": milliseconds(latencies[latencies.count / 2]),
        "p99_ms": milliseconds(latencies[min(latencies.count - 1, latencies.count * 99 / 100)]),
        "connections_opened": statistics.connectionsOpened, "threads_baseline": baseline, "threads_peak": peak,
        "heap_growth_bytes_per_request": Double(heapGrowth) / Double(options.requests),
    ])
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var value: Int { lock.withLock { count } }
    func increment() { lock.withLock { count += 1 } }
}

do {
    try initializeCurlForProcess()
    let options = try Options(CommandLine.arguments)
    let baseline = try threads()  // before the event loop's thread exists
    switch options.scenario {
    case "requests": try await requests(options, baseline: baseline)
    case "streams": try await streams(options.streams, options, baseline: baseline)
    default: throw BenchError("--scenario requests|streams")
    }
} catch {
    FileHandle.standardError.write(Data("http-bench: \(error)\n".utf8))
    exit(1)
}
