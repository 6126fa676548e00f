import Foundation
import Glibc
import Testing

/// A test-owned `NOTIFY_SOCKET`: a bound `AF_UNIX`/`SOCK_DGRAM` socket that receives what a child
/// sends with sd_notify. Passed file descriptors (systemd-notify's `BARRIER=1` pipe) are closed at
/// once, as the service manager does, so a sender waiting on them is released.
final class NotifySocket {
    /// A datagram and when it arrived.
    struct Message {
        var text: String
        var arrival: ContinuousClock.Instant
        /// `NAME=value` lines as a dictionary.
        var assignments: [String: String] {
            Dictionary(
                text.split(separator: "\n").map { line in
                    let parts = line.split(separator: "=", maxSplits: 1)
                    return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
                },
                uniquingKeysWith: { _, last in last }
            )
        }
    }

    let path: String
    private let descriptor: Int32

    init() throws {
        // sun_path holds 108 bytes: keep the path short.
        path = "/tmp/fc-notify-\(UUID().uuidString.prefix(8)).sock"
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(.init(rawValue: errno)!) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in path.utf8.enumerated() { buffer[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else {
            let code = errno
            close(descriptor)
            throw POSIXError(.init(rawValue: code)!)
        }
    }

    deinit {
        close(descriptor)
        unlink(path)
    }

    /// The next datagram, or `nil` if none comes before `timeout`.
    func receive(timeout: Duration = .seconds(10)) throws -> Message? {
        let deadline = ContinuousClock.now + timeout
        while true {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { return nil }
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let milliseconds = Int32(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000)
            let ready = poll(&poller, 1, max(1, milliseconds))
            if ready < 0 {
                if errno == EINTR { continue }
                throw POSIXError(.init(rawValue: errno)!)
            }
            if ready == 0 { continue }
            return try read()
        }
    }

    /// Every datagram that arrives until one satisfies `isLast` (included), or the timeout.
    func receive(until isLast: (Message) -> Bool, timeout: Duration = .seconds(10)) throws -> [Message] {
        let deadline = ContinuousClock.now + timeout
        var messages: [Message] = []
        while let message = try receive(timeout: deadline - ContinuousClock.now) {
            messages.append(message)
            if isLast(message) { break }
        }
        return messages
    }

    private func read() throws -> Message {
        var data = [UInt8](repeating: 0, count: 4096)
        var control = [UInt8](repeating: 0, count: 256)
        let received: Int = data.withUnsafeMutableBytes { dataBuffer in
            control.withUnsafeMutableBytes { controlBuffer in
                var vector = iovec(iov_base: dataBuffer.baseAddress, iov_len: dataBuffer.count)
                return withUnsafeMutablePointer(to: &vector) { vectorPointer in
                    var header = msghdr()
                    header.msg_iov = vectorPointer
                    header.msg_iovlen = 1
                    header.msg_control = controlBuffer.baseAddress
                    header.msg_controllen = controlBuffer.count
                    let count = recvmsg(descriptor, &header, Int32(MSG_CMSG_CLOEXEC))
                    if count >= 0 { closePassedDescriptors(header) }
                    return count
                }
            }
        }
        guard received >= 0 else { throw POSIXError(.init(rawValue: errno)!) }
        return Message(text: String(decoding: data[..<received], as: UTF8.self), arrival: .now)
    }

    private func closePassedDescriptors(_ header: msghdr) {
        guard header.msg_controllen >= MemoryLayout<cmsghdr>.size, let control = header.msg_control else { return }
        let message = control.assumingMemoryBound(to: cmsghdr.self).pointee
        guard message.cmsg_level == SOL_SOCKET, message.cmsg_type == Int32(SCM_RIGHTS) else { return }
        let headerSize = MemoryLayout<cmsghdr>.size
        let count = (Int(message.cmsg_len) - headerSize) / MemoryLayout<Int32>.size
        for index in 0..<count {
            close(control.load(fromByteOffset: headerSize + index * MemoryLayout<Int32>.size, as: Int32.self))
        }
    }
}
