import Foundation
import Glibc

/// Thin helpers over AF_UNIX stream sockets; each returns or closes its descriptor, never leaks it.
enum UnixSocket {
    /// Fills a `sockaddr_un` for `path` and calls `body` with it.
    static func withAddress<R>(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> R) throws(ControlSocketError) -> R {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else { throw ControlSocketError(call: "sockaddr_un (path longer than \(capacity - 1) bytes)", code: ENAMETOOLONG, path: path) }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
    }

    /// The corresponding C function is socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC).
    static func make(path: String) throws(ControlSocketError) -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ControlSocketError(call: "socket", code: errno, path: path) }
        return fd
    }

    /// Sets send and receive timeouts, so a stuck peer cannot hold a thread forever.
    static func setTimeouts(_ fd: Int32, seconds: Int, path: String) throws(ControlSocketError) {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        for option in [SO_RCVTIMEO, SO_SNDTIMEO] {
            guard setsockopt(fd, SOL_SOCKET, option, &timeout, socklen_t(MemoryLayout<timeval>.size)) == 0 else {
                throw ControlSocketError(call: "setsockopt", code: errno, path: path)
            }
        }
    }

    /// Writes all of `data`.
    static func writeAll(_ fd: Int32, _ data: Data, path: String) throws(ControlSocketError) {
        var offset = 0
        while offset < data.count {
            let written = data.withUnsafeBytes { raw in
                send(fd, raw.baseAddress! + offset, data.count - offset, Int32(MSG_NOSIGNAL))
            }
            if written < 0 {
                if errno == EINTR { continue }
                throw ControlSocketError(call: "send", code: errno, path: path)
            }
            offset += written
        }
    }

    /// Reads up to the first newline (or the end), at most `ControlSocket.longestMessage` bytes.
    static func readLine(_ fd: Int32, path: String) throws(ControlSocketError) -> Data {
        var line = Data()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while line.count <= ControlSocket.longestMessage {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count < 0 {
                if errno == EINTR { continue }
                throw ControlSocketError(call: "recv", code: errno, path: path)
            }
            if count == 0 { return line }
            if let newline = buffer[..<count].firstIndex(of: UInt8(ascii: "\n")) {
                line.append(contentsOf: buffer[..<newline])
                return line
            }
            line.append(contentsOf: buffer[..<count])
        }
        throw ControlSocketError(call: "recv (message longer than \(ControlSocket.longestMessage) bytes)", code: EMSGSIZE, path: path)
    }
}

/// Talks to a running daemon over its control socket (the `trigger` and `status` commands).
public enum ControlClient {
    /// Sends one request and returns the daemon's answer.
    /// - Throws: `ControlSocketError` when no daemon answers on `path` (`connect` fails with
    ///   ENOENT or ECONNREFUSED when it is down), or the answer cannot be read.
    public static func send(_ request: ControlRequest, to path: String, timeoutSeconds: Int = 30) throws(ControlSocketError) -> ControlResponse {
        let fd = try UnixSocket.make(path: path)
        defer { close(fd) }
        try UnixSocket.setTimeouts(fd, seconds: timeoutSeconds, path: path)
        let connected = try UnixSocket.withAddress(path) { connect(fd, $0, $1) }
        guard connected == 0 else { throw ControlSocketError(call: "connect", code: errno, path: path) }
        let body: Data
        do { body = try JSONEncoder().encode(request) } catch {
            throw ControlSocketError(call: "encoding the request: \(error)", code: EINVAL, path: path)
        }
        try UnixSocket.writeAll(fd, body + Data("\n".utf8), path: path)
        let line = try UnixSocket.readLine(fd, path: path)
        do { return try JSONDecoder().decode(ControlResponse.self, from: line) } catch {
            throw ControlSocketError(call: "decoding the daemon's answer: \(error)", code: EPROTO, path: path)
        }
    }
}
