import Foundation
import Kubernetes
import Synchronization

/// scripts/peers/fault_proxy.py between the executor's client and the emulator, started for one test
/// (the Fargate controller talks to the emulator directly). It stops when this object goes: its
/// standard input is closed, and the process is killed if it lingers.
final class FaultProxy: @unchecked Sendable {  // immutable after init; the Process is only touched in deinit
    private let process: Process
    private let input: Pipe
    /// The proxy's base URL, for the executor's client.
    let url: String
    private let control: String

    init() throws {
        try Cluster.curl.get()
        guard let server = Cluster.environment["FARGATE_CRON_TEST_KUBE_HTTP"], let target = URL(string: server),
            let host = target.host, let port = target.port
        else { throw KubernetesError.configuration("no emulator") }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("scripts/peers/fault_proxy.py")
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path, "--target", "\(host):\(port)"]
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
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// Arms fault rules, in order (see the script's documentation).
    func arm(_ rules: [JSONValue]) async throws {
        _ = try await call(.post, "/rules", .array(rules))
    }

    /// `METHOD PATH` of every request the proxy saw, in order.
    func requests() async throws -> [String] {
        try JSONDecoder().decode([String].self, from: try await call(.get, "/requests", nil))
    }

    private func call(_ method: HTTPMethod, _ path: String, _ body: JSONValue?) async throws -> Data {
        let response = try await CurlTransport().send(HTTPRequest(
            method: method, url: control + path, headers: [("Content-Type", "application/json")],
            body: try body.map { try JSONEncoder().encode($0) }))
        guard response.status == 200 else { throw KubernetesError.invalidResponse("proxy control \(path): \(response.status)") }
        return response.body
    }
}

/// One fault rule for the proxy: `action` on requests whose method is `method` and whose path
/// (with its query) contains `path`, `times` times.
func fault(
    _ action: String, _ method: String, _ path: String, times: Int = 1, _ extra: [String: JSONValue] = [:]
) -> JSONValue {
    var object = extra
    object["action"] = .string(action)
    object["times"] = .integer(Int64(times))
    object["match"] = .object(["method": .string(method), "path": .string(path)])
    return .object(object)
}

/// Records the client's retry delays (and sleeps them), to show that `Retry-After` was honoured.
final class DelayRecorder: Sendable {
    private let delays = Mutex<[Duration]>([])
    var recorded: [Duration] { delays.withLock { $0 } }

    func policy() -> RetryPolicy {
        RetryPolicy(baseDelay: .milliseconds(20)) { [self] delay in
            self.delays.withLock { $0.append(delay) }
            try await Task.sleep(for: delay)
        }
    }
}
