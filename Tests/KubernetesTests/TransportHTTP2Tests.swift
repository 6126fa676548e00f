import HTTP
import Foundation
import TestSupport
import Testing

@testable import Kubernetes

/// The transport against a real HTTP/2 server: nghttpx (scripts/peers/nghttpx.sh) in front of the
/// emulator, a front of each test's own so that its access log counts only this test's connections.
/// Multiplexing, the server's stream limit, GOAWAY, and a lost connection under many open streams.
@Suite(.enabled(if: Peer.isRunning && HTTP2Front.isAvailable, "needs the emulator and nghttpx (scripts/test starts them)"))
struct TransportHTTP2Tests {
    /// Forty watches open at once, and a create seen by all forty: one TCP connection carried them
    /// all, as HTTP/2 streams, by the server's log and by libcurl's own count.
    @Test func concurrentStreamsShareOneConnection() async throws {
        let front = try HTTP2Front()
        let transport = try HTTP2Front.transport()
        let client = KubeClient(server: front.url, transport: transport, credentials: NoCredentials())
        let namespace = Peer.namespace("mux")
        let count = 40
        let seen = try await withThrowingTaskGroup(of: String?.self) { group in
            let opened = Counter()
            for _ in 0..<count {
                group.addTask {
                    let events = try await client.watch(Job.self, in: namespace, resourceVersion: "1")
                    opened.increment()
                    for try await event in events {
                        if case .added(let job) = event { return job.metadata.name }
                    }
                    return nil
                }
            }
            try #require(try await poll(within: .seconds(20)) { opened.value == count })
            _ = try await client.create(sampleJob("for-all"), in: namespace)
            var names: [String?] = []
            for try await name in group { names.append(name) }
            return names
        }
        #expect(seen == Array(repeating: "for-all", count: count))
        let requests = try front.requests()
        #expect(requests.filter { $0.line.contains("watch=true") }.count == count)
        #expect(requests.allSatisfy { $0.alpn == "h2" })
        #expect(try front.connections() == 1)
        #expect(transport.statistics.connectionsOpened == 1)
    }

    /// The server allows 10 concurrent streams a connection: 25 watches opened at once take 3
    /// connections, not 25, none carries more than 10, and every watch works. (libcurl 7.88 alone
    /// opened a connection for each stream of a burst beyond the first connection's limit; the event
    /// loop admits one transfer at a time per TLS origin until it is on the wire.)
    @Test func aBurstBeyondTheServersStreamLimitOpensOnlyTheConnectionsNeeded() async throws {
        let front = try HTTP2Front(options: ["--frontend-http2-max-concurrent-streams=10"])
        let transport = try HTTP2Front.transport()
        let client = KubeClient(server: front.url, transport: transport, credentials: NoCredentials())
        let namespace = Peer.namespace("limit")
        let count = 25
        let seen = try await withThrowingTaskGroup(of: String?.self) { group in
            let opened = Counter()
            for _ in 0..<count {
                group.addTask {
                    let events = try await client.watch(Job.self, in: namespace, resourceVersion: "1")
                    opened.increment()
                    for try await event in events {
                        if case .added(let job) = event { return job.metadata.name }
                    }
                    return nil
                }
            }
            try #require(try await poll(within: .seconds(20)) { opened.value == count })
            _ = try await Peer.client().create(sampleJob("limited"), in: namespace)
            var names: [String?] = []
            for try await name in group { names.append(name) }
            return names
        }
        #expect(seen == Array(repeating: "limited", count: count))
        let perConnection = Dictionary(grouping: try front.requests(), by: \.clientPort).mapValues(\.count)
        #expect(perConnection.count == 3, "\(perConnection)")
        #expect(perConnection.values.allSatisfy { $0 <= 10 })
        // Counted as transfers end; the watches ended when their tasks returned.
        #expect(try await poll(within: .seconds(5)) { transport.statistics.connectionsOpened == 3 })
    }

    /// The server ends each connection with GOAWAY after 5 requests; 30 requests (10 creates by
    /// name, 20 reads), 10 at a time, all succeed, each Job exists once, and the GOAWAYs really
    /// happened (one connection could not have carried them).
    @Test func goawayCostsNoRequest() async throws {
        let front = try HTTP2Front(options: ["--frontend-max-requests=5"])
        let transport = try HTTP2Front.transport()
        let client = KubeClient(server: front.url, transport: transport, credentials: NoCredentials(),
                                retry: RetryPolicy(baseDelay: .milliseconds(20)))
        let namespace = Peer.namespace("goaway")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<30 {
                if index >= 10 { try await group.next() }
                group.addTask {
                    if index % 3 == 0 {
                        _ = try await client.create(sampleJob("job-\(index)"), in: namespace)
                    } else {
                        _ = try await client.list(Job.self, in: namespace)
                    }
                }
            }
            try await group.waitForAll()
        }
        let jobs = try await Peer.client().list(Job.self, in: namespace)
        #expect(jobs.items.compactMap(\.metadata.name).sorted() == (0..<30).filter { $0 % 3 == 0 }.map { "job-\($0)" }.sorted())
        #expect(try front.connections() >= 30 / 5 / 2)  // "may allow additional few requests" (nghttpx)
    }

    /// A server that closes each connection after one request: every new connection after the
    /// first resumes an earlier one's TLS session (an abbreviated handshake), from the event loop's
    /// shared session cache, across transports too. Over HTTP/1.1 (the server answers each request
    /// with `Connection: close`), and over HTTP/2 (the server sends GOAWAY after each request).
    @Test(arguments: ["http/1.1", "h2"])
    func newConnectionsResumeTheTLSSession(alpn: String) async throws {
        let front = try HTTP2Front(options: ["--frontend-max-requests=1", "--npn-list=\(alpn)"])
        for _ in 0..<4 {
            let client = KubeClient(server: front.url, transport: try HTTP2Front.transport(), credentials: NoCredentials())
            _ = try await client.list(Job.self, in: Peer.namespace("tls"))
        }
        let requests = try front.requests()
        #expect(requests.map(\.alpn) == Array(repeating: alpn, count: 4))
        #expect(Set(requests.map(\.clientPort)).count == 4)
        #expect(requests.map(\.sessionResumed) == [false, true, true, true])
    }

    /// A second HTTP/2 connection opened while the first is still up (the server allows one stream a
    /// connection, and two watches are open) resumes the first one's TLS session.
    @Test func aSecondHTTP2ConnectionResumesTheFirstOnesTLSSession() async throws {
        let front = try HTTP2Front(options: ["--frontend-http2-max-concurrent-streams=1"])
        let client = KubeClient(server: front.url, transport: try HTTP2Front.transport(), credentials: NoCredentials())
        let namespace = Peer.namespace("tls-h2")
        try await withThrowingTaskGroup(of: Void.self) { group in
            let opened = Counter()
            for _ in 0..<2 {
                group.addTask {
                    let events = try await client.watch(Job.self, in: namespace, resourceVersion: "1")
                    opened.increment()
                    for try await _ in events { return }
                }
            }
            try #require(try await poll(within: .seconds(20)) { opened.value == 2 })
            _ = try await Peer.client().create(sampleJob("seen"), in: namespace)
            try await group.waitForAll()
        }
        let requests = try front.requests()
        #expect(requests.map(\.alpn) == ["h2", "h2"])
        #expect(Set(requests.map(\.clientPort)).count == 2)
        #expect(requests.map(\.sessionResumed) == [false, true])
    }

    /// Twenty watchers share one HTTP/2 connection, which is then killed under them (a TCP reset of
    /// the client's connection, through a raw relay): every watcher resumes from its last version on
    /// one new connection, which resumes the lost one's TLS session, and each sees the next Job
    /// exactly once, and no old one again.
    @Test func aKilledConnectionRecoversEveryOpenStreamOnOneNewConnection() async throws {
        let front = try HTTP2Front()
        let relay = try FaultProxy(target: front.url.replacingOccurrences(of: "https://", with: "http://"), raw: true)
        let transport = try HTTP2Front.transport()
        let server = relay.url.replacingOccurrences(of: "http://", with: "https://")
        let client = KubeClient(server: server, transport: transport, credentials: NoCredentials(),
                                retry: RetryPolicy(baseDelay: .milliseconds(50)))
        let namespace = Peer.namespace("killed")
        _ = try await client.create(sampleJob("before"), in: namespace)
        let count = 20
        let seen = try await withThrowingTaskGroup(of: [String].self) { group in
            let ready = Counter()
            for _ in 0..<count {
                group.addTask {
                    var names: [String] = []
                    for try await event in Watcher<Job>(client: client, namespace: namespace) {
                        guard case .added(let job) = event else { continue }
                        names.append(job.metadata.name ?? "?")
                        if names.count == 1 { ready.increment() }
                        if job.metadata.name == "after" { return names }
                    }
                    return names
                }
            }
            try #require(try await poll(within: .seconds(20)) { ready.value == count })
            #expect(try await relay.connections() == 1)
            try await relay.resetAll()
            _ = try await Peer.client().create(sampleJob("after"), in: namespace)
            var all: [[String]] = []
            for try await names in group { all.append(names) }
            return all
        }
        #expect(seen == Array(repeating: ["before", "after"], count: count))
        // One new connection for all twenty: 2 in all; the new one resumed the lost one's TLS session.
        #expect(try await relay.connections() == 2)
        #expect(transport.statistics.connectionsOpened == 2)
        let requests = try front.requests()
        let ports = requests.map(\.clientPort).reduce(into: [Int]()) { if !$0.contains($1) { $0.append($1) } }
        #expect(ports.count == 2)
        #expect(requests.filter { $0.clientPort == ports.last }.map(\.sessionResumed).allSatisfy { $0 })
    }

    /// The create is on the wire (held by a fault proxy behind the front) when the client's HTTP/2
    /// connection is reset. With one attempt only, the create still succeeds: the client looks the
    /// Job up on a new connection and sends the create again at once if it was not made; one Job.
    @Test func aResetDuringACreateCostsNoFailure() async throws {
        let backend = try FaultProxy()
        let front = try HTTP2Front(backend: backend.url)
        let relay = try FaultProxy(target: front.url.replacingOccurrences(of: "https://", with: "http://"), raw: true)
        let transport = try HTTP2Front.transport()
        let client = KubeClient(server: relay.url.replacingOccurrences(of: "http://", with: "https://"),
                                transport: transport, credentials: NoCredentials(), retry: RetryPolicy(maximumAttempts: 1))
        let namespace = Peer.namespace("create-reset")
        _ = try await client.list(Job.self, in: namespace)  // the connection is up and warm
        try await backend.arm([rule("delay", method: "POST", ["ms": .integer(1000)])])
        async let created = client.create(sampleJob("once"), in: namespace)
        try #require(try await poll(within: .seconds(10)) { try await backend.requests().contains { $0.hasPrefix("POST") } })
        try await relay.resetAll()
        let job = try await created
        #expect(job.metadata.uid != nil)
        try #require(try await poll(within: .seconds(10)) { try await backend.requests().filter { $0.hasPrefix("POST") }.count >= 1 })
        let jobs = try await Peer.client().list(Job.self, in: namespace)
        #expect(jobs.items.map(\.metadata.uid) == [job.metadata.uid])
    }

    /// A list on the wire when the connection is reset: with one attempt only, it succeeds, sent
    /// again at once on a new connection by the transport itself.
    @Test func aResetDuringAListCostsNoFailure() async throws {
        let backend = try FaultProxy()
        let front = try HTTP2Front(backend: backend.url)
        let relay = try FaultProxy(target: front.url.replacingOccurrences(of: "https://", with: "http://"), raw: true)
        let transport = try HTTP2Front.transport()
        let client = KubeClient(server: relay.url.replacingOccurrences(of: "http://", with: "https://"),
                                transport: transport, credentials: NoCredentials(), retry: RetryPolicy(maximumAttempts: 1))
        let namespace = Peer.namespace("list-reset")
        _ = try await Peer.client().create(sampleJob("listed"), in: namespace)
        try await backend.arm([rule("delay", method: "GET", ["ms": .integer(1000)])])
        async let listed = client.list(Job.self, in: namespace)
        try #require(try await poll(within: .seconds(10)) { try await backend.requests().contains { $0.hasPrefix("GET") } })
        try await relay.resetAll()
        #expect(try await listed.items.map(\.metadata.name) == ["listed"])
        #expect(transport.statistics.resentRequests == 1)
        #expect(try await relay.connections() == 2)
    }

    /// Thirty-two followed log streams open at once cost no thread each: the process has at most a
    /// couple more threads while they are open (the event loop's, if it had not started yet) than before.
    @Test func openStreamsCostNoThreadEach() async throws {
        let front = try HTTP2Front()
        let client = KubeClient(server: front.url, transport: try HTTP2Front.transport(), credentials: NoCredentials())
        let namespace = Peer.namespace("threads")
        let count = 32
        // The Job controller's and kubelet's part (the shipped Role may not create pods): running
        // one-container pods, whose logs a real server serves.
        let admin = try Peer.admin()
        for index in 0..<count { _ = try await admin.create(try runningPod("pod-\(index)"), in: namespace) }
        let before = try threadCount()
        try await withThrowingTaskGroup(of: Int.self) { group in
            let opened = Counter()
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
            for index in 0..<count {
                try await Peer.control("logs/\(namespace)/pod-\(index)", .object(["lines": .array([.string("hello")])]))
            }
            try #require(try await poll(within: .seconds(20)) { opened.value == count })
            let during = try threadCount()
            #expect(during - before <= 2, "threads: \(before) before, \(during) with \(count) streams open")
            for index in 0..<count {
                try await Peer.control("logs/\(namespace)/pod-\(index)", .object(["close": .bool(true)]))
            }
            var total = 0
            for try await lines in group { total += lines }
            #expect(total == count)
        }
        #expect(try front.connections() == 1)
    }
}
