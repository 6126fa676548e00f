@testable import AWS
import HTTP
import Foundation
import TestSupport
import Testing

@testable import Kubernetes

/// moto's STS server (PyPI moto[server], from scripts/deps), started for one test on 127.0.0.1.
final class MotoServer: @unchecked Sendable {  // immutable after init; the Process is only touched in deinit
    private let process: Process
    let url: String

    static var isInstalled: Bool {
        (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
            .contains { FileManager.default.isExecutableFile(atPath: "\($0)/moto_server") }
    }

    init() async throws {
        try Curl.ready()
        let port = try Self.freePort()
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["moto_server", "-H", "127.0.0.1", "-p", String(port)]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        url = "http://127.0.0.1:\(port)"
        // Poll until it answers, for at most 20 s: a real process takes a moment to import moto.
        let transport = CurlTransport(configuration: .init(connectTimeout: .seconds(1), requestTimeout: .seconds(2)))
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if (try? await transport.send(HTTPRequest(method: .get, url: url + "/moto-api/"))) != nil { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        kill(process.processIdentifier, SIGKILL)
        throw KubernetesError.invalidResponse("moto_server did not start within 20 s")
    }

    deinit {
        // moto_server (werkzeug) does not end on SIGTERM; SIGKILL it, it holds nothing worth saving.
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    private static func freePort() throws -> Int {
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        probe.arguments = ["python3", "-c",
                           "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])"]
        let pipe = Pipe()
        probe.standardOutput = pipe
        try probe.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        probe.waitUntilExit()
        guard let port = Int(String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        else { throw KubernetesError.invalidResponse("no free port") }
        return port
    }
}

/// IRSA end to end against a real STS implementation (moto): the projected token is exchanged
/// through AssumeRoleWithWebIdentity over libcurl, and the role's keys sign the EKS token.
@Suite(.enabled(if: MotoServer.isInstalled, "needs moto_server (scripts/deps installs moto[server])"))
struct WebIdentityTests {
    @Test func webIdentityCredentialsFromMotoSignTheEKSToken() async throws {
        let moto = try await MotoServer()
        let scratch = try Scratch()
        let tokenFile = try scratch.write("token", "eyJhbGciOiJSUzI1NiJ9.projected.token")
        let environment = [
            "HOME": "/nonexistent", "AWS_REGION": "ap-northeast-1", "AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile,
            "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/fargate-cron", "AWS_ROLE_SESSION_NAME": "test",
            "AWS_ENDPOINT_URL_STS": moto.url,
        ]
        let now = RFC3339.parse("2026-03-08T07:30:15Z")!
        let chain = AWSCredentialChain(environment: environment, transport: CurlTransport(), now: { now })
        let credentials = try await chain.credentials()
        #expect(credentials.accessKeyID.hasPrefix("ASIA"))
        #expect(credentials.sessionToken?.isEmpty == false)
        #expect(credentials.source == "web identity (arn:aws:iam::123456789012:role/fargate-cron)")

        let source = EKSTokenSource(cluster: "batch", region: "ap-northeast-1", chain: chain, now: { now })
        let token = try await source.token()
        let expected = EKSToken(cluster: "batch", region: "ap-northeast-1", credentials: credentials, at: now)
        #expect(token == expected)
    }

    @Test func refusedWebIdentitySaysWhichRole() async throws {
        let scratch = try Scratch()
        let environment = [
            "HOME": "/nonexistent", "AWS_WEB_IDENTITY_TOKEN_FILE": "\(scratch.path)/missing",
            "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/fargate-cron",
        ]
        let chain = AWSCredentialChain(environment: environment, transport: ScriptedTransport([]), now: { Date(timeIntervalSince1970: 0) })
        await #expect { try await chain.credentials() } throws: { "\($0)".contains("\(scratch.path)/missing") }
    }
}
