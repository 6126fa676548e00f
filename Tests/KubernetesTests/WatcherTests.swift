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
