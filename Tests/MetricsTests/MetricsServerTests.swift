import Foundation
import Glibc
import Metrics
import TestSupport
import Testing

/// The endpoint over real TCP connections on 127.0.0.1.
@Suite struct MetricsServerTests {
    func serve(limits: MetricsServer.Limits = .init(), registry: MetricsRegistry = ExpositionTests.sample()) throws -> MetricsServer {
        try MetricsServer(address: ListenAddress(host: "127.0.0.1", port: 0), limits: limits, now: { fixedDate }) { head in
            MetricsEndpoint.respond(to: head, registry: registry)
        }
    }

    func exchange(_ server: MetricsServer, _ request: String) throws -> Answer {
        let client = try RawClient(port: server.boundAddress.port)
        try client.send(request)
        return Answer(try client.readAll())
    }

    @Test func getMetrics() throws {
        let server = try serve()
        defer { server.stop() }
        #expect(server.boundAddress.port != 0)
        let answer = try exchange(server, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        #expect(answer.status == 200)
        #expect(answer.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
        #expect(answer.headers["content-length"] == String(answer.body.utf8.count))
        #expect(answer.headers["connection"] == "close")
        #expect(answer.headers["date"] == "Sun, 29 Nov 2026 03:30:00 GMT")
        #expect(answer.body == ExpositionTests.sample().render())
    }

    @Test func headHasTheLengthButNoBody() throws {
        let server = try serve()
        defer { server.stop() }
        let answer = try exchange(server, "HEAD /metrics HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(answer.status == 200)
        #expect(answer.body.isEmpty)
        #expect(Int(answer.headers["content-length"] ?? "") == ExpositionTests.sample().render().utf8.count)
    }

    @Test(arguments: [
        ("GET / HTTP/1.1\r\nHost: h\r\n\r\n", 404),
        ("POST /metrics HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n", 405),
        ("GET /metrics HTTP/1.1\r\n\r\n", 400),
        ("GET /metrics HTTP/3.0\r\nHost: h\r\n\r\n", 505),
        ("GET /metrics HTTP/1.1\r\nHost: h\r\nX: " + String(repeating: "y", count: 10_000) + "\r\n\r\n", 431),
    ])
    func refusals(_ request: String, _ status: Int) throws {
        let server = try serve()
        defer { server.stop() }
        let answer = try exchange(server, request)
        #expect(answer.status == status)
        if status == 405 { #expect(answer.headers["allow"] == "GET, HEAD") }
    }

    /// A client that sends half a request and waits is answered 408 at the bound, and the server
    /// goes on serving others meanwhile.
    @Test func aSlowClientTimesOutAndOthersAreServed() throws {
        let server = try serve(limits: .init(requestTimeout: .milliseconds(500)))
        defer { server.stop() }
        let slow = try RawClient(port: server.boundAddress.port)
        try slow.send("GET /metrics HTTP/1.1\r\nHost: h\r\n")
        #expect(try exchange(server, "GET /metrics HTTP/1.1\r\nHost: h\r\n\r\n").status == 200)
        let started = ContinuousClock.now
        #expect(Answer(try slow.readAll()).status == 408)
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    /// A request arriving a byte at a time is read whole.
    @Test func aRequestInPieces() throws {
        let server = try serve()
        defer { server.stop() }
        let client = try RawClient(port: server.boundAddress.port)
        for byte in Array("GET /metrics HTTP/1.1\r\nHost: h\r\n\r\n".utf8) { try client.send([byte]) }
        #expect(Answer(try client.readAll()).status == 200)
    }

    /// Concurrent scrapes are each answered whole.
    @Test func concurrentScrapes() async throws {
        let server = try serve()
        defer { server.stop() }
        let port = server.boundAddress.port
        let expected = ExpositionTests.sample().render()
        let bodies = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<32 {
                group.addTask {
                    let client = try RawClient(port: port)
                    try client.send("GET /metrics HTTP/1.1\r\nHost: h\r\n\r\n")
                    return Answer(try client.readAll()).body
                }
            }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(bodies.count == 32)
        #expect(bodies.allSatisfy { $0 == expected })
    }

    /// With every connection slot held by idle clients, a scrape waits in the backlog and is
    /// served once the idle ones time out.
    @Test func connectionsAreBounded() throws {
        let server = try serve(limits: .init(requestTimeout: .milliseconds(400), maximumConnections: 4))
        defer { server.stop() }
        let idle = try (0..<4).map { _ in try RawClient(port: server.boundAddress.port) }
        let started = ContinuousClock.now
        #expect(try exchange(server, "GET /metrics HTTP/1.1\r\nHost: h\r\n\r\n").status == 200)
        #expect(ContinuousClock.now - started >= .milliseconds(300), "served only after the idle ones were dropped")
        for client in idle { #expect(Answer(try client.readAll()).status == 408) }
    }

    /// A large exposition (10,000 series) is written whole, however slowly the client reads.
    @Test func aLargeAnswerIsWrittenWhole() throws {
        let registry = MetricsRegistry()
        let gauge = registry.gauge("fargate_cron_next_fire_timestamp_seconds", help: "Next fire time.", labels: ["cron_job"])
        for i in 0..<10_000 { gauge.set(Double(1_795_923_000 + i), "job-\(i)") }
        let server = try serve(registry: registry)
        defer { server.stop() }
        let answer = try exchange(server, "GET /metrics HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(answer.body == registry.render())
        #expect(answer.body.utf8.count > 500_000)
    }

    @Test func stopClosesTheListener() throws {
        let server = try serve()
        let port = server.boundAddress.port
        server.stop()
        server.stop()  // idempotent
        #expect(throws: ClientError.self) { _ = try RawClient(port: port) }
    }

    @Test func anAddressInUseIsAnError() throws {
        let server = try serve()
        defer { server.stop() }
        let error = #expect(throws: MetricsServerError.self) {
            _ = try MetricsServer(address: server.boundAddress, now: { fixedDate }) { _ in .text(.ok, "") }
        }
        #expect(error?.description.contains("bind failed: Address already in use") == true)
    }

    @Test(arguments: [
        ("127.0.0.1:9464", "127.0.0.1", 9464), ("[::1]:9464", "::1", 9464), ("0.0.0.0:0", "0.0.0.0", 0), ("localhost:80", "localhost", 80),
    ])
    func listenAddresses(_ text: String, _ host: String, _ port: Int) throws {
        let address = try ListenAddress(parsing: text)
        #expect(address.host == host)
        #expect(Int(address.port) == port)
        #expect(address.description == text)
    }

    @Test(arguments: ["9464", ":9464", "127.0.0.1:", "127.0.0.1:65536", "::1:9464", "[::1]9464", "host:port"])
    func badListenAddresses(_ text: String) {
        #expect(throws: ListenAddressError.self) { _ = try ListenAddress(parsing: text) }
    }
}
