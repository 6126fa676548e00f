import Foundation
import Testing

@testable import Kubernetes

/// The libcurl transport's own promises: connection reuse and cancellation from Swift tasks.
@Suite(.enabled(if: Peer.isRunning, "needs the Kubernetes emulator peer (scripts/test starts it)"))
struct TransportTests {
    /// Reads reuse one connection; each create gets a fresh one, so that libcurl never re-sends it by
    /// itself on a new connection after a reused one died (a second create: see the FaultTests).
    @Test func sequentialReadsReuseOneConnectionAndCreatesGetTheirOwn() async throws {
        let proxy = try FaultProxy()
        let client = try Peer.client(server: proxy.url)
        let namespace = Peer.namespace("reuse")
        for index in 0..<10 { _ = try await client.create(sampleJob("job-\(index)"), in: namespace) }
        #expect(try await proxy.connections() == 10)
        for index in 0..<10 { _ = try await client.get(Job.self, named: "job-\(index)", in: namespace) }
        #expect(try await proxy.connections() == 10)
    }

    @Test func cancellingTheTaskAbortsARequestInFlight() async throws {
        let proxy = try FaultProxy()
        try await proxy.setLatency(milliseconds: 30_000)
        let client = try Peer.client(server: proxy.url)
        let request = Task { try await client.list(Job.self, in: "cancel") }
        request.cancel()  // whether before or during the transfer, it must end as cancelled, not after 30 s
        let outcome = await request.result
        #expect(throws: KubernetesError.cancelled) { try outcome.get() }
    }

    @Test func cancellingTheConsumerEndsAFollowedLog() async throws {
        let client = try Peer.client()
        let namespace = Peer.namespace("cancel-logs")
        _ = try await client.create(Pod(metadata: ObjectMeta(name: "endless")), in: namespace)
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
