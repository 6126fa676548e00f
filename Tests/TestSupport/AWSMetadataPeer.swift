public import Foundation
import Glibc
import HTTP

/// `scripts/peers/aws_metadata.py` as a child process of the test: IMDSv2, container credentials, STS
/// AssumeRole and EKS DescribeCluster on 127.0.0.1, checking SigV4 signatures with botocore. Killed
/// when this object goes.
public final class AWSMetadataPeer: @unchecked Sendable {  // immutable after init
    private let process: Process
    /// `http://127.0.0.1:PORT`.
    public let url: String

    /// Starts the peer and waits until it serves.
    /// - Parameter arguments: its options (`--lifetime`, `--container-token`, `--cluster-endpoint`, `--cluster-ca`).
    public init(_ arguments: [String] = []) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", PeerEnvironment.peerScripts.appendingPathComponent("aws_metadata.py").path] + arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        self.process = process
        let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        guard line.hasPrefix("port "), let port = Int(line.dropFirst(5).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            Glibc.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw PeerError("the AWS metadata peer did not start: \(line)")
        }
        url = "http://127.0.0.1:\(port)"
    }

    deinit {
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// One request the peer received.
    public struct Request: Decodable, Sendable {
        public var method: String
        public var path: String
        public var headers: [String: String]
    }

    /// Every request received so far, oldest first.
    public func requests() async throws -> [Request] {
        struct Answer: Decodable { var requests: [Request] }
        try Curl.ready()
        let response = try await CurlTransport().send(HTTPRequest(method: .get, url: url + "/_peer/requests"))
        return try JSONDecoder().decode(Answer.self, from: response.body).requests
    }

    /// Changes what the peer does next (`lifetime` of new credentials, `imds`: on/off/v1-only,
    /// `expireTokens`: forget every IMDS session token).
    public func configure(_ settings: [String: any Sendable]) async throws {
        try Curl.ready()
        let response = try await CurlTransport().send(HTTPRequest(
            method: .post, url: url + "/_peer/config", headers: [("Content-Type", "application/json")],
            body: try JSONSerialization.data(withJSONObject: settings)))
        guard response.status == 200 else { throw PeerError("configuring the AWS metadata peer: \(response.status)") }
    }
}

/// A peer that did not do what a test needs of it.
public struct PeerError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

