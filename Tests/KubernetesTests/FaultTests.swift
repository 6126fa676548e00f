import HTTP
import Foundation
import TestSupport
import Testing

@testable import Kubernetes

/// Real faults on the wire, through scripts/peers/fault_proxy.py between libcurl and the emulator.
@Suite(.enabled(if: Peer.isRunning, "needs the Kubernetes emulator peer (scripts/test starts it)"))
struct FaultTests {
    @Test func addedLatencyIsTolerated() async throws {
        let proxy = try FaultProxy()
        try await proxy.setLatency(milliseconds: 300)
        let client = try Peer.client(server: proxy.url)
        let namespace = Peer.namespace("latency")
        let created = try await client.create(sampleJob("slow"), in: namespace)
        #expect(try await client.get(Job.self, named: "slow", in: namespace).metadata.uid == created.metadata.uid)
    }

    @Test func latencyBeyondTheRequestTimeoutFailsWithATimeout() async throws {
        try Curl.ready()
        let proxy = try FaultProxy()
        try await proxy.setLatency(milliseconds: 1500)
        let transport = CurlTransport(configuration: .init(requestTimeout: .milliseconds(300)))
        let client = KubeClient(server: proxy.url, transport: transport, credentials: NoCredentials(),
                                retry: RetryPolicy(maximumAttempts: 2, baseDelay: .milliseconds(10)))
        let error = await #expect(throws: KubernetesError.self) { try await client.list(Job.self, in: "slow") }
        #expect("\(error!)".contains("timed out"))
    }

    @Test func connectionResetMidBodyIsRetried() async throws {
        let proxy = try FaultProxy()
        let client = try Peer.client(server: proxy.url)
        let namespace = Peer.namespace("reset")
        _ = try await client.create(sampleJob("a"), in: namespace)
        try await proxy.arm([rule("reset_after", method: "GET", ["bytes": .integer(40)])])
        let list = try await client.list(Job.self, in: namespace)
        #expect(list.items.map(\.metadata.name) == ["a"])
        #expect(try await proxy.requests().filter { $0.hasPrefix("GET") }.count == 2)
    }

    @Test(arguments: [503, 500, 429])
    func errorStatusesWithRetryAfterAreRetried(_ status: Int) async throws {
        let proxy = try FaultProxy()
        let delays = DelayRecorder()
        let client = KubeClient(server: proxy.url, transport: CurlTransport(), credentials: NoCredentials(),
                                retry: delays.policy())
        try await proxy.arm([rule("respond", method: "GET", ["status": .integer(Int64(status)), "retry_after": .string("2")])])
        let list = try await client.list(Job.self, in: Peer.namespace("status"))
        #expect(list.items.isEmpty)
        #expect(delays.recorded == [.seconds(2)])
    }

    /// The create reached the server, the answer was lost: the client looks the Job up and returns
    /// it, and the server saw exactly one POST.
    @Test func createWhoseAnswerIsLostIsNotSentTwice() async throws {
        let proxy = try FaultProxy()
        let client = try Peer.client(server: proxy.url)
        let namespace = Peer.namespace("lost")
        try await proxy.arm([rule("drop_response", method: "POST")])
        let job = try await client.create(sampleJob("once"), in: namespace)
        #expect(job.metadata.uid != nil)
        let seen = try await proxy.requests()
        #expect(seen.filter { $0.hasPrefix("POST") }.count == 1)
        #expect(seen.contains("GET /apis/batch/v1/namespaces/\(namespace)/jobs/once"))
    }

    /// The regression test for libcurl's own retry: a POST on a *reused* connection that dies before
    /// any answer was sent again by libcurl on a fresh connection (the server saw two creates; the second
    /// met 409). Creates now go on a connection of their own, and only the client decides to retry.
    @Test func createOnAReusedConnectionWhoseAnswerIsLostIsNotSentTwice() async throws {
        let proxy = try FaultProxy()
        let client = try Peer.client(server: proxy.url)
        let namespace = Peer.namespace("reused")
        _ = try await client.list(Job.self, in: namespace)  // leaves a connection to reuse
        try await proxy.arm([rule("drop_response", method: "POST")])
        let job = try await client.create(sampleJob("once"), in: namespace)
        #expect(job.metadata.uid != nil)
        #expect(try await proxy.requests().filter { $0.hasPrefix("POST") }.count == 1)
    }

    /// A 503 that came from in front of the server (it never saw the create): the client looks,
    /// finds nothing, and only then sends the create again.
    @Test func createRefusedBeforeTheServerIsSentAgainOnlyAfterLooking() async throws {
        let proxy = try FaultProxy()
        let client = try Peer.client(server: proxy.url)
        let namespace = Peer.namespace("refused")
        try await proxy.arm([rule("respond", method: "POST", ["status": .integer(503)])])
        _ = try await client.create(sampleJob("later"), in: namespace)
        #expect(try await proxy.requests().map { String($0.prefix(4)) } == ["POST", "GET ", "POST"])
    }

    /// A watch whose connection goes silent: the idle timeout notices, the watcher reconnects from
    /// the version it had, and the events made meanwhile all arrive.
    @Test func stalledWatchLosesNoEvent() async throws {
        let proxy = try FaultProxy()
        let direct = try Peer.client()
        let namespace = Peer.namespace("stall")
        _ = try await direct.create(sampleJob("a"), in: namespace)
        try await proxy.arm([rule("stall_after", path: "watch=true", ["bytes": .integer(0)])])
        let client = try Peer.client(server: proxy.url, idleTimeout: .seconds(2))
        var events = Watcher<Job>(client: client, namespace: namespace).makeAsyncIterator()
        guard case .added(let first)? = try await events.next() else { throw KubernetesError.invalidResponse("no a") }
        #expect(first.metadata.name == "a")
        _ = try await direct.create(sampleJob("b"), in: namespace)
        _ = try await direct.create(sampleJob("c"), in: namespace)
        var names: [String] = []
        for _ in 0..<2 {
            if case .added(let job)? = try await events.next() { names.append(job.metadata.name!) }
        }
        #expect(names == ["b", "c"])
        #expect(try await proxy.requests().filter { $0.contains("watch=true") }.count >= 2)
    }

    /// The first watch connection is cut 400 bytes in, in the middle of the first event after its
    /// response head (events are ~500 bytes): the watcher resumes and every event arrives once.
    @Test func watchResetMidBodyLosesNoEvent() async throws {
        let proxy = try FaultProxy()
        let direct = try Peer.client()
        let namespace = Peer.namespace("cut")
        _ = try await direct.create(sampleJob("j0"), in: namespace)
        try await proxy.arm([rule("reset_after", path: "watch=true", ["bytes": .integer(400)])])
        let client = try Peer.client(server: proxy.url)
        var events = Watcher<Job>(client: client, namespace: namespace).makeAsyncIterator()
        guard case .added(let first)? = try await events.next() else { throw KubernetesError.invalidResponse("no j0") }
        #expect(first.metadata.name == "j0")
        for name in ["j1", "j2", "j3", "j4"] { _ = try await direct.create(sampleJob(name), in: namespace) }
        var names: [String] = []
        for _ in 0..<4 {
            if case .added(let job)? = try await events.next() { names.append(job.metadata.name!) }
        }
        #expect(names == ["j1", "j2", "j3", "j4"])
        #expect(try await proxy.requests().filter { $0.contains("watch=true") }.count >= 2)
    }

    /// While the watch is stalled, the server forgets its history (a compaction): the reconnect from
    /// the old version gets 410 Expired, and the watcher lists again and reports the difference.
    @Test func expiredVersionAfterAStallIsRelistedAndDiffed() async throws {
        let proxy = try FaultProxy()
        let direct = try Peer.client()
        let namespace = Peer.namespace("expired")
        _ = try await direct.create(sampleJob("old"), in: namespace)
        try await proxy.arm([rule("stall_after", path: "watch=true", ["bytes": .integer(0)])])
        // The idle timeout must outlast the delete, create and compaction below, or the watcher
        // reconnects before the compaction and sees both events without a 410 (seen under CI load
        // with 2 s: one list instead of two).
        let client = try Peer.client(server: proxy.url, idleTimeout: .seconds(8))
        var events = Watcher<Job>(client: client, namespace: namespace).makeAsyncIterator()
        guard case .added? = try await events.next() else { throw KubernetesError.invalidResponse("no old") }
        try await direct.delete(Job.self, named: "old", in: namespace)
        _ = try await direct.create(sampleJob("new"), in: namespace)
        try await Peer.control("compact", .object(["namespace": .string(namespace)]))
        var seen: [String] = []
        for _ in 0..<2 {
            switch try await events.next() {
            case .added(let job)?: seen.append("added \(job.metadata.name!)")
            case .deleted(let job)?: seen.append("deleted \(job.metadata.name!)")
            case let other: seen.append("unexpected \(String(describing: other))")
            }
        }
        #expect(seen.sorted() == ["added new", "deleted old"])
        let lists = try await proxy.requests().filter { $0.hasPrefix("GET /apis/batch/v1/namespaces/\(namespace)/jobs") && !$0.contains("watch=true") }
        #expect(lists.count == 2)  // the first list, and the relist after 410
    }
}
