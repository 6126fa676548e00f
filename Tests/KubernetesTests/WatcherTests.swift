import HTTP
import Foundation
import Testing

@testable import Kubernetes

/// The watcher's recovery, scripted: resume from bookmarks after a drop, relist and diff after 410.
@Suite struct WatcherTests {
    @Test func resumesFromTheLastBookmarkAndRelistsAfterExpiry() async throws {
        let transport = ScriptedTransport([
            // The first list: one Job, at version 100.
            .response(status: 200, body: #"{"metadata":{"resourceVersion":"100"},"items":[\#(jobJSON("a", resourceVersion: "90"))]}"#),
            // The first watch: a bookmark, then the connection is reset.
            .lines(status: 200, [#"{"type":"BOOKMARK","object":{"kind":"Job","metadata":{"resourceVersion":"150"}}}"#],
                   thenFail: CurlError(code: 56, detail: "Connection reset by peer")),
            // The second watch resumes at 150 and sees a change, then the server says 410.
            .lines(status: 200, [
                #"{"type":"MODIFIED","object":\#(jobJSON("a", resourceVersion: "160"))}"#,
                #"{"type":"ERROR","object":\#(statusJSON(410, "Expired", "too old resource version: 160 (200)"))}"#,
            ], thenFail: nil),
            // The relist: "a" is gone, "b" appeared.
            .response(status: 200, body: #"{"metadata":{"resourceVersion":"210"},"items":[\#(jobJSON("b", resourceVersion: "205", uid: "uid-b"))]}"#),
            .lines(status: 200, [], thenFail: nil),
        ])
        let client = KubeClient(server: "https://c", transport: transport, credentials: NoCredentials(),
                                retry: DelayRecorder().policy())
        let events = try await first(4, of: Watcher<Job>(client: client, namespace: "ns"))
        let summary = events.map { event -> String in
            switch event {
            case .added(let job): "added \(job.metadata.name!)@\(job.metadata.resourceVersion!)"
            case .modified(let job): "modified \(job.metadata.name!)@\(job.metadata.resourceVersion!)"
            case .deleted(let job): "deleted \(job.metadata.name!)"
            case .bookmark, .error: "unexpected \(event)"
            }
        }
        #expect(summary == ["added a@90", "modified a@160", "added b@205", "deleted a"])
        let watches = transport.requests.filter { $0.contains("watch=true") }
        #expect(watches.count >= 2)
        #expect(watches[0].contains("resourceVersion=100"))
        #expect(watches[1].contains("resourceVersion=150"))  // from the bookmark, not from the list
        if watches.count > 2 { #expect(watches[2].contains("resourceVersion=210")) }
    }

    /// Watch connections that drop before any event are reopened after a backoff delay each, from
    /// the list's version, without listing again; an event resets the backoff and moves the version
    /// on. (A 403 at the end stops the watcher, so that the whole script is played exactly.)
    @Test func droppedStreamsReconnectWithBackoffFromTheLastVersion() async throws {
        let reset = CurlError(code: 56, detail: "Connection reset by peer")  // CURLE_RECV_ERROR
        let delays = DelayRecorder()
        let transport = ScriptedTransport([
            .response(status: 200, body: #"{"metadata":{"resourceVersion":"100"},"items":[\#(jobJSON("a", resourceVersion: "90"))]}"#),
            .lines(status: 200, [], thenFail: reset),
            .lines(status: 200, [], thenFail: reset),
            .lines(status: 200, [], thenFail: reset),
            .lines(status: 200, [#"{"type":"ADDED","object":\#(jobJSON("b", resourceVersion: "120", uid: "uid-b"))}"#],
                   thenFail: reset),
            .response(status: 403, body: statusJSON(403, "Forbidden", "the script ends here")),
        ])
        let client = KubeClient(server: "https://c", transport: transport, credentials: NoCredentials(),
                                retry: delays.policy())
        var added: [String] = []
        var ending: (any Error)?
        do {
            for try await event in Watcher<Job>(client: client, namespace: "ns") {
                if case .added(let job) = event { added.append(job.metadata.name ?? "?") }
            }
        } catch {
            ending = error
        }
        #expect(added == ["a", "b"])
        #expect((ending as? KubernetesError).map { if case .forbidden = $0 { true } else { false } } == true)
        let requests = transport.requests
        #expect(requests.filter { !$0.contains("watch=true") }.count == 1)  // one list: drops never relist
        let versions = requests.filter { $0.contains("watch=true") }.map { request in
            request.split(separator: "&").first { $0.hasPrefix("resourceVersion=") }.map(String.init) ?? "none"
        }
        #expect(versions == Array(repeating: "resourceVersion=100", count: 4) + ["resourceVersion=120"])
        // One pause per drop, each within its exponential bound (200 ms doubled per consecutive drop),
        // and the count starts again after an event.
        let bounds: [Duration] = [.milliseconds(200), .milliseconds(400), .milliseconds(800), .milliseconds(200)]
        #expect(delays.recorded.count == bounds.count)
        for (delay, bound) in zip(delays.recorded, bounds) { #expect(delay <= bound) }
    }

    @Test func forbiddenEndsTheWatcherWithTheError() async throws {
        let transport = ScriptedTransport([
            .response(status: 403, body: statusJSON(403, "Forbidden", "jobs.batch is forbidden")),
        ])
        let client = KubeClient(server: "https://c", transport: transport, credentials: NoCredentials(identity: "someone"),
                                retry: DelayRecorder().policy())
        await #expect(throws: KubernetesError.self) {
            for try await _ in Watcher<Job>(client: client, namespace: "ns") {}
        }
    }
}
