import Glibc
import Testing

/// A unix datagram socket standing in for systemd's `NOTIFY_SOCKET`; it keeps every message.
/// (Shared by DaemonTests and HATests.)
public final class NotifyListener {
    /// The socket's path (for `NOTIFY_SOCKET`).
    public let path: String
    private let fd: Int32

    /// Binds the socket at `path`.
    public init(path: String) throws {
        self.path = path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        try #require(fd >= 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8) + [0]) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        try #require(bound == 0, "bind \(path): errno \(errno)")
        try #require(fcntl(fd, F_SETFL, O_NONBLOCK) == 0)
    }

    deinit { close(fd) }

    /// The messages that arrived since the last call, in order.
    public func receive() -> [String] {
        var messages: [String] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            guard count > 0 else { return messages }
            messages.append(String(decoding: buffer[..<count], as: UTF8.self))
        }
    }
}
