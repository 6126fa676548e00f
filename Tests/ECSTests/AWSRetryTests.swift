import AWS
import ECS
import ECSTestSupport
import Foundation
import HTTP
import Synchronization
import Testing

/// Throttling, 5xx and dropped connections are retried with backoff inside the caller's deadline;
/// refusals are not.
@Suite(.enabled(if: Moto.isAvailable, "needs moto (scripts/peers/moto.sh, started by scripts/test)"), .timeLimit(.minutes(3)))
struct AWSRetryTests {
    /// Records the pauses instead of sleeping them.
    final class Pauses: Sendable {
        let recorded = Mutex<[Duration]>([])
        var all: [Duration] { recorded.withLock { $0 } }
        func policy(maximumAttempts: Int = 5) -> AWSRetryPolicy {
            AWSRetryPolicy(
                maximumAttempts: maximumAttempts, baseDelay: .milliseconds(100), throttlingBaseDelay: .milliseconds(500),
                sleep: { pause in self.recorded.withLock { $0.append(pause) } }, jitter: { $0 })
        }
    }

    @Test func throttlingAndServerErrorsAreRetriedWithGrowingPauses() async throws {
        let front = try MotoFront()
        let pauses = Pauses()
        let ecs = front.ecs(retry: pauses.policy())
        try await front.arm([.init("throttle", on: "DescribeTaskDefinition", times: 2),
                             .init("error", on: "DescribeTaskDefinition", status: 503, times: 1)])
        #expect(try await ecs.describeTaskDefinition(Moto.unique("none")) == nil)
        // Throttling starts from the larger bound (500 ms, doubling); the 5xx from 100 ms, doubled twice.
        #expect(pauses.all == [.milliseconds(500), .milliseconds(1000), .milliseconds(400)])
        #expect(try await front.requests().filter { $0 == "ecs:DescribeTaskDefinition" }.count == 4)
    }

    @Test func aRefusalIsNotRetried() async throws {
        let front = try MotoFront()
        let pauses = Pauses()
        let ecs = front.ecs(retry: pauses.policy())
        await #expect { try await ecs.stopTask(cluster: "default", task: "nope", reason: "r") } throws: {
            ($0 as? ECSError)?.code == "InvalidParameterException"
        }
        #expect(pauses.all.isEmpty)
    }

    /// The client's clock moves only by its pauses, so that how long the requests take on a loaded
    /// machine does not matter: with a 3 s deadline, 200 + 400 + 800 ms of pauses fit, 1600 more would not.
    @Test func retriesEndAtTheDeadlineWithAWSsError() async throws {
        let front = try MotoFront()
        let clock = Mutex(Date())
        let slept = Mutex<[Duration]>([])
        let policy = AWSRetryPolicy(
            throttlingBaseDelay: .milliseconds(200),
            sleep: { pause in
                slept.withLock { $0.append(pause) }
                clock.withLock { $0 = $0.addingTimeInterval(Double(pause / .milliseconds(1)) / 1000) }
            }, jitter: { $0 })
        let environment = Moto.environment(endpoint: front.url)
        let transport = CurlTransport()
        let ecs = ECSClient(api: AWSJSONClient(
            service: .ecs(region: Moto.region, environment: environment),
            credentials: AWSCredentialChain(environment: environment, transport: transport, now: { Date() }),
            transport: transport, retry: policy, now: { clock.withLock { $0 } }))
        try await front.arm([.init("throttle", on: "DescribeTaskDefinition", times: 1000)])
        let deadline = clock.withLock { $0 }.addingTimeInterval(3)
        await #expect {
            _ = try await ecs.describeTaskDefinition("x", deadline: deadline)
        } throws: { error in
            let error = try #require(error as? ECSError)
            return error.isThrottling && error.code == "ThrottlingException" && error.description.contains("Rate exceeded")
        }
        #expect(slept.withLock { $0 } == [.milliseconds(200), .milliseconds(400), .milliseconds(800)])
        #expect(try await front.requests().filter { $0 == "ecs:DescribeTaskDefinition" }.count == 4)
    }

    @Test func withoutADeadlineTheAttemptsAreBounded() async throws {
        let front = try MotoFront()
        let pauses = Pauses()
        let ecs = front.ecs(retry: pauses.policy(maximumAttempts: 3))
        try await front.arm([.init("error", on: "DescribeTaskDefinition", status: 500, times: 10)])
        await #expect { _ = try await ecs.describeTaskDefinition("x") } throws: { ($0 as? ECSError)?.code == "ServerException" }
        #expect(pauses.all.count == 2)
    }

    /// A connection reset after the request reached ECS: the retry is the same request.
    @Test func aDroppedAnswerIsRetried() async throws {
        let front = try MotoFront()
        let ecs = front.ecs()
        try await front.arm([.init("drop_response", on: "DescribeTaskDefinition", times: 1)])
        #expect(try await ecs.describeTaskDefinition(Moto.unique("none")) == nil)
        #expect(try await front.requests().filter { $0 == "ecs:DescribeTaskDefinition" }.count == 2)
    }

    /// Credentials AWS no longer takes are read again once: here the credentials file is replaced
    /// (as a rotation would) while the first request is refused.
    @Test func rotatedCredentialsAreReadAgain() async throws {
        let front = try MotoFront()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(Moto.unique("aws"))
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("credentials")
        try "[default]\naws_access_key_id = AKIAOLDKEY\naws_secret_access_key = old\n".write(to: file, atomically: true, encoding: .utf8)
        let rotated = "[default]\naws_access_key_id = \(Moto.accessKeyID)\naws_secret_access_key = \(Moto.secretAccessKey)\n"
        let transport = RotatingTransport(file: file, rotated: rotated)
        let environment = ["AWS_SHARED_CREDENTIALS_FILE": file.path, "AWS_CONFIG_FILE": folder.appendingPathComponent("config").path,
                           "HOME": folder.path]
        let api = AWSJSONClient(
            service: .ecs(region: Moto.region, environment: ["AWS_ENDPOINT_URL": front.url]),
            credentials: AWSCredentialChain(environment: environment, transport: transport, now: { Date() }),
            transport: transport, now: { Date() })
        #expect(try await ECSClient(api: api).describeTaskDefinition(Moto.unique("none")) == nil)
        #expect(transport.refused.withLock { $0 } == 1)
    }

    /// libcurl underneath; rewrites the credentials file once an answer says the key is unknown.
    final class RotatingTransport: Transport {
        let inner = CurlTransport()
        let file: URL
        let rotated: String
        let refused = Mutex(0)
        init(file: URL, rotated: String) {
            self.file = file
            self.rotated = rotated
        }
        func send(_ request: HTTPRequest) async throws -> HTTPResponse {
            let response = try await inner.send(request)
            if String(decoding: response.body, as: UTF8.self).contains("UnrecognizedClientException") {
                refused.withLock { $0 += 1 }
                try rotated.write(to: file, atomically: true, encoding: .utf8)
            }
            return response
        }
        func stream(_ request: HTTPRequest) async throws -> HTTPStreamResponse { try await inner.stream(request) }
    }
}
