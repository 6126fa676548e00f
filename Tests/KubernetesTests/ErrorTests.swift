import HTTP
import Foundation
import TestSupport
import Testing

@testable import Kubernetes

/// Errors say what failed, and never carry the bearer token that was sent.
@Suite struct ErrorTests {
    static let token = "s3cr3t-bearer-token-value"
    static let reset = CurlError(code: 56, detail: "Recv failure: Connection reset by peer")

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var answers: [ScriptedTransport.Answer]
        var create = false
        var testDescription: String { name }
    }

    /// Every way a request can fail, with a token in the `Authorization` header: neither the error's
    /// description nor its reflection holds the token (the module logs nothing itself; callers log
    /// these errors).
    @Test(arguments: [
        Case(name: "401 twice", answers: [ScriptedTransport.Answer](repeating: .response(status: 401, body: statusJSON(401, "Unauthorized", "Unauthorized")), count: 2)),
        Case(name: "403", answers: [.response(status: 403, body: statusJSON(403, "Forbidden", "jobs.batch is forbidden"))]),
        Case(name: "404", answers: [.response(status: 404, body: statusJSON(404, "NotFound", "jobs.batch \\\"a\\\" not found"))]),
        Case(name: "409 on create", answers: [.response(status: 409, body: statusJSON(409, "AlreadyExists", "exists"))], create: true),
        Case(name: "500 until the retries run out", answers: [ScriptedTransport.Answer](repeating: .response(status: 500, body: statusJSON(500, "InternalError", "etcd")), count: 5)),
        Case(name: "reset until the retries run out", answers: [ScriptedTransport.Answer](repeating: .failure(ErrorTests.reset), count: 5)),
        Case(name: "a body that is not JSON", answers: [.response(status: 200, body: "<html>proxy login</html>")]),
        Case(name: "TLS verification", answers: [.failure(CurlError(code: 60, detail: "SSL certificate problem: unable to get local issuer certificate"))]),
    ])
    func errorsNeverHoldTheToken(_ c: Case) async throws {
        let transport = ScriptedTransport(c.answers)
        let client = KubeClient(server: "https://cluster.example", transport: transport,
                                credentials: StaticToken(Self.token, identity: "kubeconfig user \"ops\""),
                                retry: DelayRecorder().policy())
        let error = await #expect(throws: KubernetesError.self) {
            if c.create {
                _ = try await client.create(sampleJob("a"), in: "ns")
            } else {
                _ = try await client.get(Job.self, named: "a", in: "ns")
            }
        }
        #expect(transport.headers.allSatisfy { $0["authorization"] == "Bearer \(Self.token)" })  // it was sent
        let text = "\(error!)" + String(reflecting: error!)
        #expect(!text.contains(Self.token))
        #expect(!text.isEmpty)
    }

    /// What a failure with no HTTP answer says, by libcurl code: the kind of failure first, then
    /// libcurl's own words (for DNS, the host it could not resolve). A real DNS failure is not
    /// provoked here: the lookup would leave the loopback interface.
    @Test(arguments: [
        (6, "Could not resolve host: abc.gr7.ap-northeast-1.eks.amazonaws.com", "DNS lookup failed: Could not resolve host: abc.gr7"),
        (7, "Failed to connect to 127.0.0.1 port 1: Connection refused", "connection failed: Failed to connect"),
        (28, "Connection timed out after 500 milliseconds", "timed out: Connection timed out"),
        (60, "SSL certificate problem: unable to get local issuer certificate", "TLS failed: SSL certificate problem"),
        (35, "OpenSSL SSL_connect: SSL_ERROR_SYSCALL", "TLS failed: OpenSSL"),
    ])
    func transportErrorsSayWhatFailed(_ code: Int, _ detail: String, _ expected: String) {
        let error = KubernetesError.transport(CurlError(code: code, detail: detail), request: "list jobs.batch in namespace \"ns\"")
        #expect("\(error)".hasPrefix("list jobs.batch in namespace \"ns\": \(expected)"))
        #expect("\(error)".hasSuffix("(curl code \(code))"))
    }

    /// A refused connection is a real libcurl failure on loopback: nothing listens on port 1.
    @Test func refusedConnectionSaysSo() async throws {
        try Curl.ready()
        let client = KubeClient(server: "http://127.0.0.1:1", transport: CurlTransport(), credentials: NoCredentials(),
                                retry: RetryPolicy(maximumAttempts: 1))
        let error = await #expect(throws: KubernetesError.self) { try await client.list(Job.self, in: "ns") }
        #expect("\(error!)".contains("connection failed"))
        #expect("\(error!)".contains("list jobs.batch in namespace \"ns\""))
    }
}
