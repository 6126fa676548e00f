import HTTP
import Foundation
import Synchronization
import TestSupport
import Testing

@testable import Kubernetes

/// The libcurl transport's own promises: connection reuse and cancellation from Swift tasks.
@Suite(.enabled(if: Peer.isRunning, "needs the Kubernetes emulator peer (scripts/test starts it)"))
struct TransportTests {
    /// Creates and reads all reuse one keep-alive connection. (Creates used to get a fresh connection
    /// each, so that libcurl would never send one again by itself after a reused connection died; the
    /// transport now stops that second copy of a request that is not retry-safe instead: see
    /// FaultTests.createOnAReusedConnectionWhoseAnswerIsLostIsNotSentTwice.)
    @Test func sequentialCreatesAndReadsReuseOneConnection() async throws {
        let proxy = try FaultProxy()
        let client = try Peer.client(server: proxy.url)
        let namespace = Peer.namespace("reuse")
        for index in 0..<10 { _ = try await client.create(sampleJob("job-\(index)"), in: namespace) }
        #expect(try await proxy.connections() == 1)
        for index in 0..<10 { _ = try await client.get(Job.self, named: "job-\(index)", in: namespace) }
        #expect(try await proxy.connections() == 1)
    }

    /// The request is on the wire (the proxy has seen it and holds it for 30 s) when its task is
    /// cancelled: the transfer ends as cancelled at once. One attempt only, so that no retry pause
    /// (which notices cancellation by itself) can stand in for the transport's own abort; without it
    /// the request would end after the 20 s request timeout as a transport error.
    @Test func cancellingTheTaskAbortsARequestInFlight() async throws {
        let proxy = try FaultProxy()
        try await proxy.setLatency(milliseconds: 30_000)
        let client = try Peer.client(server: proxy.url, retry: RetryPolicy(maximumAttempts: 1))
        let started = ContinuousClock.now
        let request = Task { try await client.list(Job.self, in: "cancel") }
        try #require(try await poll(within: .seconds(10)) { try await proxy.requests().count == 1 })
        request.cancel()
        let outcome = await request.result
        #expect(throws: KubernetesError.cancelled) { try outcome.get() }
        #expect(ContinuousClock.now - started < .seconds(10))
    }

    /// `connectTimeout` bounds the TCP and TLS handshake: a server that accepts the connection and
    /// never answers the TLS hello (the fault proxy waits for an HTTP request head that never comes)
    /// is given up on after 0.5 s, long before the 20 s request timeout.
    @Test func connectTimeoutEndsAHandshakeThatNeverCompletes() async throws {
        let proxy = try FaultProxy()
        let silent = proxy.url.replacingOccurrences(of: "http://", with: "https://")
        let transport = CurlTransport(configuration: .init(
            tls: TLSConfiguration(certificateAuthority: try Peer.caPEM()), connectTimeout: .milliseconds(500),
            requestTimeout: .seconds(20)))
        let client = KubeClient(server: silent, transport: transport, credentials: NoCredentials(),
                                retry: RetryPolicy(maximumAttempts: 1))
        let started = ContinuousClock.now
        let error = await #expect(throws: KubernetesError.self) { try await client.list(Job.self, in: "connect") }
        let elapsed = ContinuousClock.now - started
        guard case .transport(let curl, _)? = error else {
            Issue.record("expected a transport error, got \(String(describing: error))")
            return
        }
        #expect(curl.code == 28)  // CURLE_OPERATION_TIMEDOUT
        #expect("\(error!)".contains("timed out"))
        #expect(elapsed < .seconds(10))
    }

    /// A streamed body (here a followed log) that goes silent is dropped after `streamIdleTimeout`,
    /// although streams have no overall request timeout.
    @Test func silentStreamIsDroppedAfterTheIdleTimeout() async throws {
        let proxy = try FaultProxy()
        try await proxy.arm([rule("stall_after", path: "/log", ["bytes": .integer(0)])])
        let client = try Peer.client(server: proxy.url, retry: RetryPolicy(maximumAttempts: 1), idleTimeout: .seconds(1))
        let started = ContinuousClock.now
        let error = await #expect(throws: KubernetesError.self) {
            try await client.logs(ofPod: "quiet", in: Peer.namespace("idle"), follow: true)
        }
        guard case .transport(let curl, _)? = error else {
            Issue.record("expected a transport error, got \(String(describing: error))")
            return
        }
        #expect(curl.code == 28)  // CURLE_OPERATION_TIMEDOUT, from the low-speed limit
        #expect(ContinuousClock.now - started < .seconds(10))
    }

    /// No transfer blocks a thread of the cooperative pool (as wide as the machine has cores): many
    /// more transfers than cores are on the wire at once, and another request gets through while they
    /// are all still held by the proxy. Were a blocking `curl_easy_perform` run on the pool, the later
    /// transfers would reach the proxy only as earlier ones finished.
    @Test func blockingTransfersStayOffTheCooperativePool() async throws {
        let proxy = try FaultProxy()
        try await proxy.setLatency(milliseconds: 5_000)
        let slow = try Peer.client(server: proxy.url)
        let direct = try Peer.client()
        let count = max(8, 4 * ProcessInfo.processInfo.activeProcessorCount)
        let finished = Counter()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<count {
                group.addTask {
                    _ = try await slow.list(Job.self, in: "pool-\(index)")
                    finished.increment()
                }
            }
            try #require(try await poll(within: .seconds(30)) { try await proxy.requests().count == count })
            #expect(finished.value == 0)
            _ = try await direct.list(Job.self, in: "pool-direct")
            #expect(finished.value == 0)
            try await group.waitForAll()
        }
        #expect(finished.value == count)
    }

    @Test func cancellingTheConsumerEndsAFollowedLog() async throws {
        let client = try Peer.client()
        let namespace = Peer.namespace("cancel-logs")
        _ = try await Peer.admin().create(try runningPod("endless"), in: namespace)  // the Job controller's part
        try await Peer.control("logs/\(namespace)/endless", .object(["lines": .array([.string("one")])]))
        let (firstLine, signal) = AsyncStream<Void>.makeStream()
        let reader = Task {
            var seen: [String] = []
            for try await line in try await client.logs(ofPod: "endless", in: namespace, follow: true) {
                seen.append(line.text)
                signal.yield()
            }
            return seen
        }
        for await _ in firstLine { break }  // the stream is open and delivering
        reader.cancel()
        // The log never closes on the server side: only cancellation can end this iteration.
        let outcome = await reader.result
        switch outcome {
        case .success(let seen): #expect(seen == ["one"])
        case .failure(let error): #expect(error is CancellationError || (error as? KubernetesError) == .cancelled)
        }
    }
}

/// HTTP/2 when the server offers it over TLS (nghttpd), HTTP/1.1 otherwise (kmock's aiohttp).
@Suite(.enabled(if: Peer.environment["FARGATE_CRON_TEST_HTTP2"] != nil, "needs nghttpd from the kmock peer"))
struct HTTPVersionTests {
    @Test func http2IsUsedWhenTheServerOffersIt() async throws {
        try Curl.ready()
        let transport = CurlTransport(configuration: .init(tls: TLSConfiguration(certificateAuthority: try Peer.caPEM())))
        let h2 = try await transport.send(HTTPRequest(method: .get, url: Peer.environment["FARGATE_CRON_TEST_HTTP2"]! + "/status.json"))
        #expect(h2.status == 200)
        #expect(h2.httpVersion == "2")
        #expect(String(decoding: h2.body, as: UTF8.self).contains("Success"))
        let h1 = try await transport.send(HTTPRequest(method: .get, url: Peer.https + "/version"))
        #expect(h1.status == 200)
        #expect(h1.httpVersion == "1.1")
    }
}

/// A count that concurrent tasks share.
final class Counter: Sendable {
    private let count = Mutex(0)
    var value: Int { count.withLock { $0 } }
    func increment() { count.withLock { $0 += 1 } }
}
