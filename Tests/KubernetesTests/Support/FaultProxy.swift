import Foundation
import Kubernetes

/// scripts/peers/fault_proxy.py in front of the emulator, started for one test. It stops when this
/// object goes (its standard input is closed, and the process is terminated if it lingers).
final class FaultProxy: @unchecked Sendable {  // immutable after init; the Process is only touched in deinit
    private let process: Process
    private let input: Pipe
    let url: String
    private let control: String

    init() throws {
        try Curl.ready()
        let target = URL(string: Peer.http)!
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "\(Peer.scripts)/fault_proxy.py", "--target", "\(target.host!):\(target.port!)"]
        input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        // The first line names the two ports; reading blocks until the proxy has bound them.
        var line = Data()
        while let byte = try output.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) {
            line.append(byte)
        }
        let ports = String(decoding: line, as: UTF8.self).split(separator: " ")
        guard ports.count == 2 else {
            process.terminate()
            throw KubernetesError.invalidResponse("fault proxy did not start: \(String(decoding: line, as: UTF8.self))")
        }
        url = "http://127.0.0.1:\(ports[0])"
        control = "http://127.0.0.1:\(ports[1])"
    }

    deinit {
        try? input.fileHandleForWriting.close()
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    /// Arms fault rules (see the script's documentation).
    func arm(_ rules: JSONValue) async throws {
        _ = try await call(.post, "/rules", rules)
    }

    func setLatency(milliseconds: Int) async throws {
        _ = try await call(.post, "/latency", .object(["ms": .integer(Int64(milliseconds))]))
    }

    /// `METHOD PATH` of every request the proxy saw.
    func requests() async throws -> [String] {
        try JSONDecoder().decode([String].self, from: try await call(.get, "/requests", nil))
    }

    /// How many client connections the proxy has accepted.
    func connections() async throws -> Int {
        try JSONDecoder().decode(Int.self, from: try await call(.get, "/connections", nil))
    }

    private func call(_ method: HTTPMethod, _ path: String, _ body: JSONValue?) async throws -> Data {
        let response = try await CurlTransport().send(HTTPRequest(
            method: method, url: control + path, headers: [("Content-Type", "application/json")],
            body: try body.map { try JSONEncoder().encode($0) }))
        guard response.status == 200 else { throw KubernetesError.invalidResponse("proxy control \(path): \(response.status)") }
        return response.body
    }
}

func rule(_ action: String, method: String? = nil, path: String? = nil, _ extra: [String: JSONValue] = [:]) -> JSONValue {
    var object = extra
    object["action"] = .string(action)
    var match: [String: JSONValue] = [:]
    if let method { match["method"] = .string(method) }
    if let path { match["path"] = .string(path) }
    if !match.isEmpty { object["match"] = .object(match) }
    return .object(object)
}
