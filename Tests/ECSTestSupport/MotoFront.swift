import AWS
public import ECS
import Foundation
import Glibc
public import HTTP
import TestSupport

/// moto's server as `scripts/peers/moto.sh` started it for the test run (`FARGATE_CRON_TEST_MOTO`,
/// with the access key it checks signatures against).
public enum Moto {
    /// moto's base URL, or nil when it does not run.
    public static var url: String? { PeerEnvironment.variables["FARGATE_CRON_TEST_MOTO"] }
    /// The key moto accepts.
    public static var accessKeyID: String { PeerEnvironment.variables["FARGATE_CRON_TEST_MOTO_ACCESS_KEY_ID"] ?? "" }
    public static var secretAccessKey: String { PeerEnvironment.variables["FARGATE_CRON_TEST_MOTO_SECRET_ACCESS_KEY"] ?? "" }
    /// The region the peer serves.
    public static let region = "us-east-1"
    /// Whether moto runs (the ECS tests are gated on it).
    public static var isAvailable: Bool { url != nil }
    /// Whether moto and journald both run.
    public static var isAvailableWithJournal: Bool { url != nil && PeerEnvironment.hasJournald }

    /// A name of its own for each test (clusters, jobs, log groups), so that tests never see each other.
    public static func unique(_ stem: String) -> String { "\(stem)-\(UUID().uuidString.prefix(8).lowercased())" }

    /// The environment a process needs to reach `endpoint` as the AWS CLI would: the region, the
    /// endpoint for every service, and the key moto accepts (or `secret` instead of it).
    public static func environment(endpoint: String, secret: String? = nil) -> [String: String] {
        ["AWS_REGION": region, "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": accessKeyID,
         "AWS_SECRET_ACCESS_KEY": secret ?? secretAccessKey, "HOME": "/nonexistent"]
    }
}

/// `scripts/peers/moto_ecs_front.py` in front of moto, started for one test: ECS as Fargate runs it
/// (see the script). It stops when this object goes: its standard input is closed, so that it kills
/// its tasks' processes, and it is killed if it lingers.
public final class MotoFront: @unchecked Sendable {  // immutable after init; the Process is only touched in deinit
    private let process: Process
    private let input: Pipe
    /// The front's base URL: the endpoint for ECS and CloudWatch Logs.
    public let url: String
    private let transport = CurlTransport()

    /// What `setup` made and found: the default VPC's subnets and security groups.
    public struct Network: Decodable, Sendable {
        public var subnets: [String]
        public var securityGroups: [String]
        public var region: String
    }

    /// One front for the whole test process, for tests that neither arm faults nor count requests:
    /// on two loaded cores, starting a Python front per test costs seconds each. It stops when the
    /// test process ends (its standard input closes).
    public static func shared() throws -> MotoFront {
        try sharedFront.get()
    }
    private static let sharedFront = Result { try MotoFront() }

    /// Starts the front and waits until it listens.
    public init() throws {
        try Curl.ready()
        guard let moto = Moto.url else { throw ECSError.invalidResponse(operation: "test", "moto does not run") }
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", PeerEnvironment.peerScripts.appendingPathComponent("moto_ecs_front.py").path, "--moto", moto,
            "--region", Moto.region, "--access-key-id", Moto.accessKeyID, "--secret-access-key", Moto.secretAccessKey,
        ]
        input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        // The first line is the port; reading blocks until the front has bound it.
        var line = Data()
        while let byte = try output.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) {
            line.append(byte)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self)) else {
            kill(process.processIdentifier, SIGKILL)
            throw ECSError.invalidResponse(operation: "test", "the ECS front did not start: \(String(decoding: line, as: UTF8.self))")
        }
        url = "http://127.0.0.1:\(port)"
    }

    deinit {
        try? input.fileHandleForWriting.close()
        // It stops its tasks and exits at end of input; SIGKILL if it has not within 3 s (a child of
        // the test process inherits its blocked signals, SIGTERM included). Its tasks die with it.
        let deadline = Date().addingTimeInterval(3)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// Creates a cluster and a log group (idempotent) and answers the default VPC's network.
    public func setup(cluster: String, logGroup: String? = nil) async throws -> Network {
        var body: [String: String] = ["cluster": cluster]
        body["logGroup"] = logGroup
        return try JSONDecoder().decode(Network.self, from: try await call(.post, "/_front/setup", body))
    }

    /// One fault rule (see the script): `action` is throttle, error or drop_response.
    public struct Fault: Encodable, Sendable {
        public var target: String?
        public var action: String
        public var status: Int?
        public var times: Int
        public init(_ action: String, on target: String?, status: Int? = nil, times: Int = 1) {
            self.action = action
            self.target = target
            self.status = status
            self.times = times
        }
    }

    /// Arms fault rules, in order.
    public func arm(_ faults: [Fault]) async throws {
        _ = try await call(.post, "/_front/faults", faults)
    }

    /// Sets ListTasks' page size.
    public func setListPageSize(_ size: Int) async throws {
        _ = try await call(.post, "/_front/config", ["listPageSize": size])
    }

    /// `service:Operation` of every request the front saw, in order.
    public func requests() async throws -> [String] {
        try JSONDecoder().decode([String].self, from: try await call(.get, "/_front/requests", nil as [String]?))
    }

    /// How many tasks each DescribeTasks call named, in order.
    public func describeSizes() async throws -> [Int] {
        try JSONDecoder().decode([Int].self, from: try await call(.get, "/_front/describes", nil as [String]?))
    }

    /// Every task the front runs.
    public func tasks() async throws -> [FrontTask] {
        try JSONDecoder().decode([FrontTask].self, from: try await call(.get, "/_front/tasks", nil as [String]?))
    }

    private func call(_ method: HTTPMethod, _ path: String, _ body: (some Encodable)?) async throws -> Data {
        let response = try await transport.send(HTTPRequest(
            method: method, url: url + path, headers: [("Content-Type", "application/json")],
            body: try body.map { try JSONEncoder().encode($0) }))
        guard response.status == 200 else {
            throw ECSError.invalidResponse(operation: path, "front answered \(response.status): \(String(decoding: response.body, as: UTF8.self))")
        }
        return response.body
    }

    /// An ECS client of this front, signed with moto's key (or a wrong `secret`).
    public func ecs(secret: String? = nil, retry: AWSRetryPolicy = AWSRetryPolicy(baseDelay: .milliseconds(20), throttlingBaseDelay: .milliseconds(50))) -> ECSClient {
        ECSClient(api: api(.ecs(region: Moto.region, environment: Moto.environment(endpoint: url)), secret: secret, retry: retry))
    }

    /// A CloudWatch Logs client of this front.
    public func logs(retry: AWSRetryPolicy = AWSRetryPolicy(baseDelay: .milliseconds(20), throttlingBaseDelay: .milliseconds(50))) -> CloudWatchLogsClient {
        CloudWatchLogsClient(api: api(.logs(region: Moto.region, environment: Moto.environment(endpoint: url)), secret: nil, retry: retry))
    }

    /// A JSON caller of `service` through this front.
    public func api(_ service: AWSService, secret: String?, retry: AWSRetryPolicy, transport: (any Transport)? = nil) -> AWSJSONClient {
        let environment = Moto.environment(endpoint: url, secret: secret)
        let http = transport ?? CurlTransport()
        return AWSJSONClient(
            service: service, credentials: AWSCredentialChain(environment: environment, transport: http, now: { Date() }),
            transport: http, retry: retry, now: { Date() })
    }
}

/// A task as the front reports it (`GET /_front/tasks`).
public struct FrontTask: Decodable, Sendable {
    public var taskArn: String
    public var clusterArn: String
    public var lastStatus: String
    public var desiredStatus: String
    public var exitCode: Int32?
    public var stoppedReason: String?
    public var stopCode: String?
    public var startedBy: String?
    public var tags: [ECSTag]
    public var clientToken: String?
    public var subnets: [String]
    public var securityGroups: [String]
    public var assignPublicIp: String?
    public var launchType: String?
    public var capacityProviderName: String?
    public var platformVersion: String?
    public var taskDefinition: String?
    public var container: String
    public var command: [String]
    public var environment: [String: String]
    public var cpu: String
    public var memory: String
    public var linesLogged: Int

    /// The value of one tag.
    public func tag(_ key: String) -> String? { tags.first { $0.key == key }?.value }
}
