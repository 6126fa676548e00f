import HTTP
import Foundation
import Testing

@testable import Kubernetes

/// The informer's pure core, and its loop against a scripted server: lists, watch events, bookmarks
/// and relists turn into exactly the cache changes they mean.
@Suite struct InformerStateTests {
    func job(_ name: String, _ version: String) -> Job {
        var job = sampleJob(name)
        job.metadata.namespace = "ns"
        job.metadata.resourceVersion = version
        return job
    }

    func summary(_ events: [InformerEvent<Job>]) -> [String] {
        events.map { event in
            switch event {
            case .added(let job): "added \(job.metadata.name!)@\(job.metadata.resourceVersion!)"
            case .updated(let old, let new):
                "updated \(new.metadata.name!)@\(old.metadata.resourceVersion!)->\(new.metadata.resourceVersion!)"
            case .deleted(let job): "deleted \(job.metadata.name!)@\(job.metadata.resourceVersion!)"
            }
        }
    }

    @Test func watchEventsAndBookmarksMoveTheCacheAndTheVersion() throws {
        var state = InformerState<Job>()
        #expect(!state.hasSynced)
        #expect(summary(state.replace(with: [job("a", "10"), job("b", "11")], resourceVersion: "12")) == ["added a@10", "added b@11"])
        #expect(state.hasSynced && state.resourceVersion == "12")
        #expect(summary(try state.apply(.modified(job("a", "13")))) == ["updated a@10->13"])
        #expect(summary(try state.apply(.added(job("c", "14")))) == ["added c@14"])
        #expect(summary(try state.apply(.deleted(job("b", "15")))) == ["deleted b@15"])
        #expect(try state.apply(.bookmark(resourceVersion: "20")).isEmpty)
        #expect(state.resourceVersion == "20")
        // Made and deleted between a list and its watch: nothing to tell, but the version moves on.
        #expect(try state.apply(.deleted(job("ghost", "21"))).isEmpty)
        #expect(state.resourceVersion == "21")
        #expect(state.objects.keys.sorted() == ["ns/a", "ns/c"])
    }

    /// A relist after 410 reports only the difference: unchanged objects say nothing.
    @Test func aRelistReportsOnlyTheDifference() throws {
        var state = InformerState<Job>()
        _ = state.replace(with: [job("same", "1"), job("changed", "2"), job("gone", "3")], resourceVersion: "3")
        let changes = state.replace(with: [job("same", "1"), job("changed", "7"), job("new", "8")], resourceVersion: "9")
        #expect(summary(changes) == ["updated changed@2->7", "added new@8", "deleted gone@3"])
        #expect(state.resourceVersion == "9")
    }

    @Test func anErrorEventIsThrownWithItsStatus() {
        var state = InformerState<Job>()
        let expired = Status(status: "Failure", message: "too old resource version: 1 (5)", reason: "Expired", code: 410)
        #expect(throws: KubernetesError.api(status: 410, reason: "Expired", message: "too old resource version: 1 (5)")) {
            try state.apply(.error(expired))
        }
    }

    /// Watch connections that drop back off exponentially (the client's policy), resume from the
    /// list's version without listing again, and a 403 ends the informer with the error, for its
    /// subscribers too.
    @Test func dropsBackOffAndResumeAndA403EndsTheInformer() async throws {
        let reset = CurlError(code: 56, detail: "Connection reset by peer")  // CURLE_RECV_ERROR
        let delays = DelayRecorder()
        let transport = ScriptedTransport([
            .response(status: 200, body: #"{"metadata":{"resourceVersion":"100"},"items":[\#(jobJSON("a", resourceVersion: "90"))]}"#),
            .lines(status: 200, [], thenFail: reset),
            .lines(status: 200, [], thenFail: reset),
            .lines(status: 200, [#"{"type":"ADDED","object":\#(jobJSON("b", resourceVersion: "120", uid: "uid-b"))}"#],
                   thenFail: reset),
            .response(status: 403, body: statusJSON(403, "Forbidden", "the script ends here")),
        ])
        let client = KubeClient(server: "https://c", transport: transport, credentials: NoCredentials(), retry: delays.policy())
        let informer = Informer<Job>(client: client, namespace: "ns")
        let events = informer.events()
        await #expect(throws: KubernetesError.self) { try await informer.run() }
        var names: [String] = []
        var ending: (any Error)?
        do {
            for try await event in events { names.append(event.object.metadata.name ?? "?") }
        } catch {
            ending = error
        }
        #expect(names == ["a", "b"])
        #expect((ending as? KubernetesError).map { if case .forbidden = $0 { true } else { false } } == true)
        #expect(informer.object(named: "b")?.metadata.uid == "uid-b")
        #expect(informer.statistics == Informer<Job>.Statistics(lists: 1, watches: 3))
        let versions = transport.requests.filter { $0.contains("watch=true") }.map { request in
            request.split(separator: "&").first { $0.hasPrefix("resourceVersion=") }.map(String.init) ?? "none"
        }
        #expect(versions == ["resourceVersion=100", "resourceVersion=100", "resourceVersion=100", "resourceVersion=120"])
        let bounds: [Duration] = [.milliseconds(200), .milliseconds(400), .milliseconds(200)]
        #expect(delays.recorded.count == bounds.count)
        for (delay, bound) in zip(delays.recorded, bounds) { #expect(delay <= bound) }
        try await informer.waitForSync()  // it had synced before it failed
    }

    /// An informer whose first list is refused never syncs: its waiters get the error.
    @Test func aForbiddenListFailsTheSyncWait() async throws {
        let transport = ScriptedTransport([.response(status: 403, body: statusJSON(403, "Forbidden", "no list for you"))])
        let client = KubeClient(server: "https://c", transport: transport, credentials: NoCredentials(), retry: DelayRecorder().policy())
        let informer = Informer<Job>(client: client, namespace: "ns")
        let waiter = Task { try await informer.waitForSync() }
        await #expect(throws: KubernetesError.self) { try await informer.run() }
        await #expect(throws: KubernetesError.self) { try await waiter.value }
        #expect(!informer.hasSynced)
    }

    /// A 429 on the list is waited out for as long as the server's Retry-After says.
    @Test func aListRefusedWith429WaitsForRetryAfter() async throws {
        let delays = DelayRecorder()
        let transport = ScriptedTransport([
            .response(status: 429, headers: ["retry-after": "3"], body: statusJSON(429, "TooManyRequests", "slow down")),
            .response(status: 200, body: #"{"metadata":{"resourceVersion":"5"},"items":[]}"#),
            .response(status: 403, body: statusJSON(403, "Forbidden", "the script ends here")),
        ])
        let client = KubeClient(server: "https://c", transport: transport, credentials: NoCredentials(), retry: delays.policy())
        let informer = Informer<Job>(client: client, namespace: "ns")
        await #expect(throws: KubernetesError.self) { try await informer.run() }
        #expect(informer.hasSynced)
        #expect(delays.recorded == [.seconds(3)])
    }
}
