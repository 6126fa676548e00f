import Foundation
import Glibc
import HTTP
public import Kubernetes

/// `scripts/peers/fault_proxy.py` in front of the Kubernetes emulator, started for one test. It stops
/// when this object goes: its standard input is closed, and the process is killed if it lingers.
public final class FaultProxy: @unchecked Sendable {  // immutable after init; the Process is only touched in deinit
    private let process: Process
    private let input: Pipe
    /// The proxy's base URL, for the client under test.
    public let url: String
    private let control: String

    /// Starts the proxy in front of the emulator (or of `target`, a base URL) and waits until it listens.
    /// - Parameter raw: relay bytes without reading HTTP (for a TLS or HTTP/2 server such as nghttpx):
    ///   only ``connections()`` and ``resetAll()`` then work, and ``url`` is still `http://`.
    /// - Throws: `KubernetesError.configuration` without an emulator, `KubernetesError.invalidResponse`
    ///   if the proxy did not start, `CurlError` if libcurl cannot be initialised.
    public init(target: String? = nil, raw: Bool = false) throws {
        try Curl.ready()
        guard let server = target ?? PeerEnvironment.kubernetesHTTP, let target = URL(string: server),
            let host = target.host, let port = target.port
        else { throw KubernetesError.configuration("no emulator") }
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", PeerEnvironment.peerScripts.appendingPathComponent("fault_proxy.py").path, "--target", "\(host):\(port)",
        ] + (raw ? ["--raw"] : [])
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
        // SIGKILL, not terminate(): a child of the test process inherits its blocked signals, SIGTERM included.
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// Arms fault rules, in order (see the script's documentation; `rule` and `fault` make them).
    public func arm(_ rules: [JSONValue]) async throws {
        _ = try await call(.post, "/rules", .array(rules))
    }

    /// Delays every response by `milliseconds`.
    public func setLatency(milliseconds: Int) async throws {
        _ = try await call(.post, "/latency", .object(["ms": .integer(Int64(milliseconds))]))
    }

    /// Cuts the client off (or, with false, lets it through again) as a network partition would:
    /// requests and answers are dropped silently, connections stay open.
    public func blackHole(_ on: Bool) async throws {
        _ = try await call(.post, "/blackhole", .object(["on": .bool(on)]))
    }

    /// `METHOD PATH` of every request the proxy saw, in order.
    public func requests() async throws -> [String] {
        try JSONDecoder().decode([String].self, from: try await call(.get, "/requests", nil))
    }

    /// Resets every open client connection at once (RST; and, through them, the server's side).
    public func resetAll() async throws {
        _ = try await call(.post, "/reset-all", nil)
    }

    /// How many client connections the proxy has accepted.
    public func connections() async throws -> Int {
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

/// One fault rule for the proxy: `action` on requests whose method is `method` and whose path (with
/// its query) contains `path` (any request for a nil criterion), `times` times (the script's default
/// when nil); `extra` holds the action's own settings.
public func rule(
    _ action: String, method: String? = nil, path: String? = nil, times: Int? = nil, _ extra: [String: JSONValue] = [:]
) -> JSONValue {
    var object = extra
    object["action"] = .string(action)
    if let times { object["times"] = .integer(Int64(times)) }
    var match: [String: JSONValue] = [:]
    if let method { match["method"] = .string(method) }
    if let path { match["path"] = .string(path) }
    if !match.isEmpty { object["match"] = .object(match) }
    return .object(object)
}

/// One fault rule for the proxy: `action` on requests whose method is `method` and whose path (with
/// its query) contains `path`, `times` times.
public func fault(
    _ action: String, _ method: String, _ path: String, times: Int = 1, _ extra: [String: JSONValue] = [:]
) -> JSONValue {
    rule(action, method: method, path: path, times: times, extra)
}
