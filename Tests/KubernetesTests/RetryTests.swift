import HTTP
import Foundation
import Synchronization
import Testing

@testable import Kubernetes

/// Retries and their limits, through a scripted transport: what is retried, how long it waits, and
/// that a create is never sent twice without first looking for the object.
@Suite struct RetryTests {
    let server = "https://cluster.example"
    let reset = CurlError(code: 56, detail: "Recv failure: Connection reset by peer")  // CURLE_RECV_ERROR

    @Test func serviceUnavailableHonoursRetryAfter() async throws {
        let delays = DelayRecorder()
        let transport = ScriptedTransport([
            .response(status: 503, headers: ["retry-after": "3"], body: statusJSON(503, "ServiceUnavailable", "busy")),
            .response(status: 429, headers: ["retry-after": "1"], body: statusJSON(429, "TooManyRequests", "slow down")),
            .response(status: 200, body: jobJSON("a", resourceVersion: "7")),
        ])
        let client = KubeClient(server: server, transport: transport, credentials: NoCredentials(), retry: delays.policy())
        let job = try await client.get(Job.self, named: "a", in: "ns")
        #expect(job.metadata.resourceVersion == "7")
        #expect(delays.recorded == [.seconds(3), .seconds(1)])
    }

    @Test func retriesAreBoundedAndTheLastStatusIsReported() async throws {
        let delays = DelayRecorder()
        let transport = ScriptedTransport(Array(repeating: .response(status: 500, body: statusJSON(500, "InternalError", "etcd")), count: 3))
        let client = KubeClient(server: server, transport: transport, credentials: NoCredentials(), retry: delays.policy(attempts: 3))
        let error = await #expect(throws: KubernetesError.self) { try await client.get(Job.self, named: "a", in: "ns") }
        #expect(error == .api(status: 500, reason: "InternalError", message: "etcd"))
        #expect(transport.requests.count == 3)
        #expect(delays.recorded.count == 2)
        #expect(delays.recorded.allSatisfy { $0 <= .milliseconds(400) })  // jittered below the exponential bound
    }

    @Test func retryAfterIsCapped() {
        let policy = RetryPolicy(maximumRetryAfter: .seconds(30))
        #expect(policy.delay(beforeRetry: 1, retryAfter: "3600") == .seconds(30))
        #expect(policy.delay(beforeRetry: 1, retryAfter: "2") == .seconds(2))
        #expect(policy.delay(beforeRetry: 30, retryAfter: nil) <= .seconds(10))
    }

    /// Full jitter: each delay is drawn from zero up to a bound that doubles with every retry (base
    /// 200 ms, capped at 10 s). Over 200 draws the largest stays within the bound and comes near it,
    /// so later retries really do wait longer than the first one can.
    @Test func jitteredDelaysGrowExponentiallyUpToTheCap() {
        let policy = RetryPolicy(baseDelay: .milliseconds(200), maximumDelay: .seconds(10))
        for (retry, bound) in [(1, Duration.milliseconds(200)), (2, .milliseconds(400)), (4, .milliseconds(1600)), (10, .seconds(10))] {
            let draws = (0..<200).map { _ in policy.delay(beforeRetry: retry, retryAfter: nil) }
            #expect(draws.allSatisfy { $0 >= .zero && $0 <= bound }, "retry \(retry)")
            #expect(draws.max()! > bound / 2, "retry \(retry)")  // all 200 below half: chance 2^-200
        }
    }

    /// The create reached the server but its answer was lost: the client finds the Job by name and
    /// returns it, and never posts a second time.
    @Test func createWithALostAnswerLooksBeforeResending() async throws {
        let transport = ScriptedTransport([
            .failure(reset),
            .response(status: 200, body: jobJSON("nightly-1", resourceVersion: "9", uid: "made-it")),
        ])
        let client = KubeClient(server: server, transport: transport, credentials: NoCredentials(), retry: DelayRecorder().policy())
        let job = try await client.create(sampleJob("nightly-1"), in: "ns")
        #expect(job.metadata.uid == "made-it")
        #expect(transport.requests == [
            "POST https://cluster.example/apis/batch/v1/namespaces/ns/jobs",
            "GET https://cluster.example/apis/batch/v1/namespaces/ns/jobs/nightly-1",
        ])
    }

    @Test func createThatDidNotHappenIsSentAgainAfterLooking() async throws {
        let transport = ScriptedTransport([
            .response(status: 500, body: statusJSON(500, "InternalError", "etcd timeout")),
            .response(status: 404, body: statusJSON(404, "NotFound", "jobs.batch \\\"nightly-1\\\" not found")),
            .response(status: 201, body: jobJSON("nightly-1", resourceVersion: "10", uid: "second-try")),
        ])
        let client = KubeClient(server: server, transport: transport, credentials: NoCredentials(), retry: DelayRecorder().policy())
        let job = try await client.create(sampleJob("nightly-1"), in: "ns")
        #expect(job.metadata.uid == "second-try")
        #expect(transport.requests.map { $0.prefix(4) } == ["POST", "GET ", "POST"])
    }

    @Test func tooManyRequestsOnCreateIsRetriedAsIs() async throws {
        let transport = ScriptedTransport([
            .response(status: 429, headers: ["retry-after": "1"], body: statusJSON(429, "TooManyRequests", "later")),
            .response(status: 201, body: jobJSON("nightly-1", resourceVersion: "10")),
        ])
        let client = KubeClient(server: server, transport: transport, credentials: NoCredentials(), retry: DelayRecorder().policy())
        _ = try await client.create(sampleJob("nightly-1"), in: "ns")
        #expect(transport.requests.map { $0.prefix(4) } == ["POST", "POST"])
    }

    @Test func alreadyExistsOnTheFirstCreateIsTheCallersToHandle() async throws {
        let transport = ScriptedTransport([
            .response(status: 409, body: statusJSON(409, "AlreadyExists", "jobs.batch \\\"nightly-1\\\" already exists")),
        ])
        let client = KubeClient(server: server, transport: transport, credentials: NoCredentials(), retry: DelayRecorder().policy())
        let error = await #expect(throws: KubernetesError.self) { try await client.create(sampleJob("nightly-1"), in: "ns") }
        #expect(error?.isAlreadyExists == true)
        #expect(transport.requests.count == 1)
    }

    @Test func unauthorizedRefreshesTheTokenOnce() async throws {
        let source = CountingSource()
        let transport = ScriptedTransport([
            .response(status: 401, body: statusJSON(401, "Unauthorized", "Unauthorized")),
            .response(status: 200, body: jobJSON("a", resourceVersion: "1")),
        ])
        let client = KubeClient(server: server, transport: transport, credentials: source, retry: DelayRecorder().policy())
        _ = try await client.get(Job.self, named: "a", in: "ns")
        #expect(source.refreshes == 1)
    }

    @Test func deleteWhoseAnswerWasLostSucceedsOnNotFound() async throws {
        let transport = ScriptedTransport([
            .failure(reset),
            .response(status: 404, body: statusJSON(404, "NotFound", "gone")),
        ])
        let client = KubeClient(server: server, transport: transport, credentials: NoCredentials(), retry: DelayRecorder().policy())
        try await client.delete(Pod.self, named: "p", in: "ns")
        #expect(transport.requests.count == 2)
    }
}

final class CountingSource: CredentialSource {
    private let count = Mutex(0)
    var refreshes: Int { count.withLock { $0 } }
    let identity = "counting source"

    func authorizationHeader(refreshing: Bool) async throws(KubernetesError) -> String? {
        if refreshing { count.withLock { $0 += 1 } }
        return "Bearer t"
    }
}
