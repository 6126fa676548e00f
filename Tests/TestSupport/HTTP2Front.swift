public import Foundation
import Glibc
public import HTTP
import Kubernetes

/// A test's own nghttpx (`scripts/peers/nghttpx.sh serve`): HTTP/2 over TLS in front of the emulator
/// (or of another plain-HTTP `backend`, such as a fault proxy), with its access log, so that a test
/// can count the connections its requests really used. Stopped when this object goes.
public final class HTTP2Front: @unchecked Sendable {  // immutable after init; the Process is only touched in deinit
    /// Whether scripts/peers/nghttpx.sh ran (it exports the script's path).
    public static var isAvailable: Bool { PeerEnvironment.variables["FARGATE_CRON_TEST_NGHTTPX"] != nil }

    /// The front's base URL (https, trusted through ``caPEM()``).
    public let url: String
    private let process: Process
    private let directory: URL

    /// One access log line: the client's port (one per connection), ALPN, TLS session resumed.
    public struct Request: Hashable, Sendable {
        public var clientPort: Int
        public var alpn: String
        public var sessionResumed: Bool
        public var line: String
        public var status: Int
    }

    /// Starts a front and waits until it accepts connections.
    /// - Parameters:
    ///   - backend: a plain-HTTP base URL; the emulator when nil.
    ///   - options: more nghttpx options, e.g. `--frontend-http2-max-concurrent-streams=10`.
    public init(backend: String? = nil, options: [String] = []) throws {
        try Curl.ready()
        guard let script = PeerEnvironment.variables["FARGATE_CRON_TEST_NGHTTPX"],
            let target = URL(string: backend ?? PeerEnvironment.kubernetesHTTP ?? ""), let host = target.host, let backendPort = target.port
        else { throw KubernetesError.configuration("no nghttpx peer") }
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("h2front-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let port = try freePort()
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["bash", script, "serve", directory.path, "\(host),\(backendPort)", "\(port)"] + options
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        url = "https://127.0.0.1:\(port)"
        let deadline = ContinuousClock.now + .seconds(10)
        while !canConnect(port: port) {
            guard ContinuousClock.now < deadline, process.isRunning else {
                throw KubernetesError.invalidResponse("nghttpx did not start: \(errorLog)")
            }
            usleep(20_000)  // a child process starting; nothing to advance but time
        }
    }

    deinit {
        // SIGKILL, not terminate(): a child of the test process inherits its blocked signals, SIGTERM included.
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: directory)
    }

    /// The CA certificate the fronts' (and the emulator's) certificate is signed by.
    public static func caPEM() throws -> Data {
        guard let path = PeerEnvironment.variables["FARGATE_CRON_TEST_KUBE_CA"] else {
            throw KubernetesError.configuration("no FARGATE_CRON_TEST_KUBE_CA")
        }
        return try Data(contentsOf: URL(fileURLWithPath: path))
    }

    /// A transport that trusts the front's certificate.
    public static func transport(idleTimeout: Duration = .seconds(120)) throws -> CurlTransport {
        CurlTransport(configuration: .init(
            tls: TLSConfiguration(certificateAuthority: try caPEM()), requestTimeout: .seconds(20),
            streamIdleTimeout: idleTimeout))
    }

    /// Every request the front has answered (or started to: the log is written as a head goes out).
    public func requests() throws -> [Request] {
        let text = (try? String(contentsOf: directory.appendingPathComponent("access.log"), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: " ")
            guard parts.count >= 5, let port = Int(parts[0]), let status = Int(parts.last!),
                let open = line.firstIndex(of: "\""), let close = line.lastIndex(of: "\""), open < close
            else { return nil }
            return Request(clientPort: port, alpn: String(parts[1]), sessionResumed: parts[2] == "r",
                           line: String(line[line.index(after: open)..<close]), status: status)
        }
    }

    /// How many client connections carried at least one request.
    public func connections() throws -> Int { Set(try requests().map(\.clientPort)).count }

    private var errorLog: String {
        (try? String(contentsOf: directory.appendingPathComponent("error.log"), encoding: .utf8)) ?? "(no error log)"
    }
}

/// A port nothing listens on now (the kernel's choice for an ephemeral bind, then released).
private func freePort() throws -> Int {
    let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard socket >= 0 else { throw KubernetesError.configuration("socket: \(errno)") }
    defer { close(socket) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0 }
    }
    guard bound else { throw KubernetesError.configuration("bind: \(errno)") }
    return Int(UInt16(bigEndian: address.sin_port))
}

private func canConnect(port: Int) -> Bool {
    let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard socket >= 0 else { return false }
    defer { close(socket) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
        }
    }
}

/// The number of threads of this process now (`/proc/self/task`).
public func threadCount() throws -> Int {
    try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count
}
