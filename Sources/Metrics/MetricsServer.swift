public import Foundation
import Glibc
import Synchronization

/// A small HTTP/1.1 server for `GET /metrics`, on a thread of its own with one `poll` loop (the
/// project has no swift-nio; a scrape endpoint needs little): every connection is non-blocking and
/// bounded — a request head of at most `maximumHeadBytes`, read within `requestTimeout`, the answer
/// written within `writeTimeout`, at most `maximumConnections` at once (more wait in the listen
/// backlog) — and answered once, with `Connection: close`.
public final class MetricsServer: Sendable {
    /// The bounds on what a client may take.
    public struct Limits: Hashable, Sendable {
        /// How long a client has to send its whole request head (a slow client is answered 408).
        public var requestTimeout: Duration
        /// How long writing the answer may take.
        public var writeTimeout: Duration
        /// The largest request head (more is answered 431).
        public var maximumHeadBytes: Int
        /// How many connections are served at once.
        public var maximumConnections: Int

        /// Somewhat arbitrary bounds: a scrape sends a few hundred bytes at once, Prometheus'
        /// default scrape timeout is 10 s, and 64 connections leave room for several scrapers.
        public init(
            requestTimeout: Duration = .seconds(5), writeTimeout: Duration = .seconds(10), maximumHeadBytes: Int = 8192,
            maximumConnections: Int = 64
        ) {
            self.requestTimeout = requestTimeout
            self.writeTimeout = writeTimeout
            self.maximumHeadBytes = maximumHeadBytes
            self.maximumConnections = maximumConnections
        }
    }

    /// The address it listens on (the kernel's port when 0 was asked for).
    public let boundAddress: ListenAddress
    private let listener: Int32
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let limits: Limits
    private let handler: @Sendable (HTTPRequestHead) -> HTTPResponse
    private let now: @Sendable () -> Date
    private let stopped = Mutex(false)
    private let finished = DispatchSemaphore(value: 0)

    /// Binds `address` and starts serving on a thread of its own.
    /// - Parameters:
    ///   - handler: answers a well-formed request; called on the server's thread, must not block long.
    ///   - now: the clock, for the `Date` header.
    /// - Throws: `MetricsServerError` naming the failing call (an address in use, say).
    public init(
        address: ListenAddress, limits: Limits = Limits(), now: @escaping @Sendable () -> Date,
        handler: @escaping @Sendable (HTTPRequestHead) -> HTTPResponse
    ) throws(MetricsServerError) {
        let fd = try Self.listen(on: address)
        var pipeEnds: [Int32] = [-1, -1]
        guard pipe(&pipeEnds) == 0 else {
            let code = errno
            close(fd)
            throw MetricsServerError(call: "pipe", code: code, address: address)
        }
        // Close-on-exec (no child of the daemon holds them) and non-blocking (a full pipe already wakes).
        for end in pipeEnds {
            guard fcntl(end, F_SETFD, FD_CLOEXEC) == 0, fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK) == 0 else {
                let code = errno
                close(fd)
                close(pipeEnds[0])
                close(pipeEnds[1])
                throw MetricsServerError(call: "fcntl", code: code, address: address)
            }
        }
        listener = fd
        wakeRead = pipeEnds[0]
        wakeWrite = pipeEnds[1]
        self.limits = limits
        self.handler = handler
        self.now = now
        boundAddress = ListenAddress(host: address.host, port: Self.port(of: fd) ?? address.port)
        let loop = ServerLoop(server: self)
        let thread = Thread { loop.run() }
        thread.name = "fargate-cron metrics"
        thread.start()
    }

    deinit {
        // The listening socket is the loop's, closed when it ends (see `ServerLoop.run`).
        close(wakeRead)
        close(wakeWrite)
    }

    /// Stops serving: open connections are closed, the listening socket stops accepting. Returns
    /// once the server's thread has ended (within a poll cycle, milliseconds). Idempotent.
    public func stop() {
        let first = stopped.withLock { stopped -> Bool in
            defer { stopped = true }
            return !stopped
        }
        guard first else { return }
        var byte: UInt8 = 1
        if write(wakeWrite, &byte, 1) < 0, errno != EAGAIN {
            FileHandle.standardError.write(Data("fargate-cron: cannot wake the metrics server: errno \(errno)\n".utf8))
        }
        finished.wait()
    }

    // MARK: - The loop

    private struct Connection {
        enum Phase {
            case reading
            case writing
            /// The answer is out and our side is shut: read what the client still sends until it
            /// closes, so that closing does not reset the connection under an unread answer.
            case lingering
        }
        var fd: Int32
        var phase = Phase.reading
        var input: [UInt8] = []
        var output: [UInt8] = []
        var written = 0
        var deadline: ContinuousClock.Instant
    }

    /// The state the server's thread owns alone.
    private final class ServerLoop: @unchecked Sendable {  // used by its one thread only
        let server: MetricsServer
        var connections: [Connection] = []
        let clock = ContinuousClock()
        var buffer = [UInt8](repeating: 0, count: 4096)

        init(server: MetricsServer) { self.server = server }

        func run() {
            defer {
                for connection in connections { close(connection.fd) }
                connections = []
                // Closed here, not in deinit: a stopped server must refuse connections at once,
                // even while its object lives on.
                close(server.listener)
                server.finished.signal()
            }
            while true {
                let accepting = connections.count < server.limits.maximumConnections
                var fds = [pollfd(fd: server.wakeRead, events: Int16(POLLIN), revents: 0)]
                fds.append(pollfd(fd: accepting ? server.listener : -1, events: Int16(POLLIN), revents: 0))
                for connection in connections {
                    let events = connection.phase == .writing ? POLLOUT : POLLIN
                    fds.append(pollfd(fd: connection.fd, events: Int16(events), revents: 0))
                }
                let wait = connections.map(\.deadline).min().map { deadline -> Int32 in
                    let left = max(.zero, deadline - clock.now)
                    return Int32(min(left / .milliseconds(1), 60_000).rounded(.up))
                } ?? -1
                let ready = poll(&fds, nfds_t(fds.count), wait)
                if ready < 0 {
                    guard errno == EINTR else {
                        FileHandle.standardError.write(Data("fargate-cron: metrics server poll failed: errno \(errno)\n".utf8))
                        return
                    }
                    continue
                }
                if fds[0].revents != 0 { return }
                // Connections first (their indices match fds), then new ones.
                for index in connections.indices.reversed() where fds[index + 2].revents != 0 {
                    serve(index)
                }
                expire()
                if fds[1].revents != 0 { acceptAll() }
            }
        }

        private func acceptAll() {
            while connections.count < server.limits.maximumConnections {
                // Glibc's module has no accept4: flags after accept (no child is spawned in between
                // that could inherit it: spawns close every descriptor not theirs).
                let fd = accept(server.listener, nil, nil)
                if fd < 0 {
                    // EAGAIN: none left; ECONNABORTED & co: that client is gone; EMFILE: try at the next wake.
                    if errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED {
                        FileHandle.standardError.write(Data("fargate-cron: metrics server accept failed: errno \(errno)\n".utf8))
                    }
                    return
                }
                guard fcntl(fd, F_SETFD, FD_CLOEXEC) == 0, fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == 0 else {
                    FileHandle.standardError.write(Data("fargate-cron: metrics server fcntl failed: errno \(errno)\n".utf8))
                    close(fd)
                    continue
                }
                connections.append(Connection(fd: fd, deadline: clock.now + server.limits.requestTimeout))
            }
        }

        private func serve(_ index: Int) {
            switch connections[index].phase {
            case .reading:
                let count = recv(connections[index].fd, &buffer, buffer.count, 0)
                if count == 0 || (count < 0 && errno != EAGAIN && errno != EINTR) { return drop(index) }
                guard count > 0 else { return }
                connections[index].input += buffer[..<count]
                switch HTTPRequestHead.parse(connections[index].input, limit: server.limits.maximumHeadBytes) {
                case .incomplete: break
                case .complete(let head, _): answer(index, server.handler(head), includeBody: head.method != "HEAD")
                case .invalid(let status, let why): answer(index, .text(status, why), includeBody: true)
                }
            case .writing:
                writeSome(index)
            case .lingering:
                let count = recv(connections[index].fd, &buffer, buffer.count, 0)
                if count == 0 || (count < 0 && errno != EAGAIN && errno != EINTR) { drop(index) }
            }
        }

        private func answer(_ index: Int, _ response: HTTPResponse, includeBody: Bool) {
            connections[index].output = response.serialized(date: Self.httpDate(server.now()), includeBody: includeBody)
            connections[index].written = 0
            connections[index].phase = .writing
            connections[index].deadline = clock.now + server.limits.writeTimeout
            writeSome(index)
        }

        private func writeSome(_ index: Int) {
            let connection = connections[index]
            let sent = connection.output.withUnsafeBytes { raw in
                // MSG_NOSIGNAL: a client that went away must not SIGPIPE the daemon.
                send(connection.fd, raw.baseAddress! + connection.written, raw.count - connection.written, Int32(MSG_NOSIGNAL))
            }
            if sent < 0 {
                if errno == EAGAIN || errno == EINTR { return }
                return drop(index)
            }
            connections[index].written += sent
            guard connections[index].written == connection.output.count else { return }
            if shutdown(connection.fd, Int32(SHUT_WR)) != 0 { return drop(index) }
            connections[index].phase = .lingering
            // Somewhat arbitrarily a second for the client to close its side.
            connections[index].deadline = clock.now + .seconds(1)
        }

        /// Answers 408 to a client that did not finish its request in time; closes the others that ran out of time.
        private func expire() {
            let now = clock.now
            for index in connections.indices.reversed() where connections[index].deadline <= now {
                if connections[index].phase == .reading {
                    answer(index, .text(.requestTimeout, "the request took too long"), includeBody: true)
                } else {
                    drop(index)
                }
            }
        }

        private func drop(_ index: Int) {
            close(connections[index].fd)
            connections.remove(at: index)
        }

        /// `Sun, 06 Nov 1994 08:49:37 GMT` (RFC 9110, 5.6.7).
        static func httpDate(_ date: Date) -> String {
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: "UTC")!
            let c = calendar.dateComponents([.weekday, .day, .month, .year, .hour, .minute, .second], from: date)
            let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
            let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
            func two(_ n: Int?) -> String { n.map { $0 < 10 ? "0\($0)" : String($0) } ?? "00" }
            return "\(days[(c.weekday ?? 1) - 1]), \(two(c.day)) \(months[(c.month ?? 1) - 1]) \(c.year ?? 1970) "
                + "\(two(c.hour)):\(two(c.minute)):\(two(c.second)) GMT"
        }
    }

    // MARK: - The listening socket

    private static func listen(on address: ListenAddress) throws(MetricsServerError) -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var found: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(address.host, String(address.port), &hints, &found)
        guard status == 0, let info = found else {
            throw MetricsServerError(call: "getaddrinfo: \(String(cString: gai_strerror(status)))", code: 0, address: address)
        }
        defer { freeaddrinfo(info) }
        let fd = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw MetricsServerError(call: "socket", code: errno, address: address) }
        var on: Int32 = 1
        // So that a restarted daemon binds again while the old connections are in TIME_WAIT.
        guard setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            let code = errno
            close(fd)
            throw MetricsServerError(call: "setsockopt SO_REUSEADDR", code: code, address: address)
        }
        guard bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
            let code = errno
            close(fd)
            throw MetricsServerError(call: "bind", code: code, address: address)
        }
        guard Glibc.listen(fd, 64) == 0 else {
            let code = errno
            close(fd)
            throw MetricsServerError(call: "listen", code: code, address: address)
        }
        return fd
    }

    private static func port(of fd: Int32) -> UInt16? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let status = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard status == 0 else { return nil }
        switch Int32(storage.ss_family) {
        case AF_INET: return withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) } }
        case AF_INET6: return withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) } }
        default: return nil
        }
    }
}

/// The metrics server could not start.
public struct MetricsServerError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The failing call.
    public var call: String
    /// Its errno (0 when the call has its own message).
    public var code: Int32
    /// The address it was to listen on.
    public var address: ListenAddress
    public var description: String {
        "cannot listen on \(address): \(call)" + (code == 0 ? "" : " failed: \(String(cString: strerror(code))) (errno \(code))")
    }
}
