import Foundation
import Glibc
public import Logging
public import ServiceLifecycle
import Synchronization

/// The daemon's control socket: a unix stream socket, owner-only (0600), in the state directory.
/// Each connection carries one request line and gets one response line (JSON).
///
/// Connections are accepted and read on a thread of its own (blocking calls stay off the
/// cooperative pool); answering happens in the service's task, through `handler`.
public final class ControlServer: Service {
    public typealias Handler = @Sendable (ControlRequest) async -> ControlResponse

    private let path: String
    private let handler: Handler
    private let logger: Logger

    /// - Parameter path: the socket's path; a stale socket file there (a previous daemon's) is replaced.
    public init(path: String, logger: Logger, handler: @escaping Handler) {
        self.path = path
        self.handler = handler
        self.logger = logger
    }

    /// Binds the socket and answers requests until a graceful shutdown or cancellation; the
    /// socket file is removed on the way out.
    /// - Throws: `ControlSocketError` if the socket cannot be created or bound.
    public func run() async throws {
        let listener = try bind()
        let stop = try Pipe.make()
        let (connections, sink) = AsyncStream.makeStream(of: (fd: Int32, request: Data).self)
        let thread = Thread { [path, logger] in
            Self.accept(on: listener, stop: stop.read, path: path, logger: logger, into: sink)
        }
        thread.start()
        defer {
            unlink(path)
        }
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                await withDiscardingTaskGroup { group in
                    for await connection in connections {
                        group.addTask { await self.answer(connection.fd, connection.request) }
                    }
                }
            } onCancel: {
                Self.poke(stop.write)
            }
        } onGracefulShutdown: {
            Self.poke(stop.write)
        }
        // The accept thread closed the listener and finished the stream; the pipe is ours to close.
        close(stop.read)
        close(stop.write)
    }

    private func bind() throws(ControlSocketError) -> Int32 {
        let fd = try UnixSocket.make(path: path)
        if unlink(path) != 0, errno != ENOENT {
            close(fd)
            throw ControlSocketError(call: "unlink (a stale socket)", code: errno, path: path)
        }
        do throws(ControlSocketError) {
            let bound = try UnixSocket.withAddress(path) { Glibc.bind(fd, $0, $1) }
            guard bound == 0 else { throw ControlSocketError(call: "bind", code: errno, path: path) }
            // Owner only: anyone who can connect can start runs. The state directory is 0700 as well.
            guard chmod(path, 0o600) == 0 else { throw ControlSocketError(call: "chmod 0600", code: errno, path: path) }
            guard listen(fd, 16) == 0 else { throw ControlSocketError(call: "listen", code: errno, path: path) }
        } catch {
            close(fd)
            throw error
        }
        return fd
    }

    private static func poke(_ fd: Int32) {
        var byte: UInt8 = 1
        if write(fd, &byte, 1) < 0 {
            FileHandle.standardError.write(Data("fargate-cron: cannot stop the control socket: errno \(errno)\n".utf8))
        }
    }

    private static func accept(
        on listener: Int32, stop: Int32, path: String, logger: Logger,
        into sink: AsyncStream<(fd: Int32, request: Data)>.Continuation
    ) {
        defer {
            close(listener)
            sink.finish()
        }
        while true {
            var fds = [pollfd(fd: listener, events: Int16(POLLIN), revents: 0), pollfd(fd: stop, events: Int16(POLLIN), revents: 0)]
            guard poll(&fds, 2, -1) >= 0 else {
                if errno == EINTR { continue }
                logger.error("control socket: poll failed", metadata: ["errno": "\(errno)"])
                return
            }
            if fds[1].revents != 0 { return }
            let connection = Glibc.accept(listener, nil, nil)
            guard connection >= 0 else {
                if errno == EINTR || errno == ECONNABORTED { continue }
                logger.error("control socket: accept failed", metadata: ["errno": "\(errno)"])
                return
            }
            // Glibc's module has no accept4: mark it close-on-exec at once, so no job inherits it.
            guard fcntl(connection, F_SETFD, FD_CLOEXEC) == 0 else {
                logger.warning("control socket: fcntl FD_CLOEXEC failed", metadata: ["errno": "\(errno)"])
                close(connection)
                continue
            }
            do {
                try UnixSocket.setTimeouts(connection, seconds: 5, path: path)
                sink.yield((connection, try UnixSocket.readLine(connection, path: path)))
            } catch {
                logger.warning("control socket: a request could not be read", metadata: ["error": "\(error)"])
                close(connection)
            }
        }
    }

    private func answer(_ fd: Int32, _ line: Data) async {
        defer { close(fd) }
        let response: ControlResponse
        do {
            response = await handler(try JSONDecoder().decode(ControlRequest.self, from: line))
        } catch {
            response = .failure("the request is not a control request: \(error)")
        }
        do {
            try UnixSocket.writeAll(fd, try JSONEncoder().encode(response) + Data("\n".utf8), path: path)
        } catch {
            logger.warning("control socket: an answer could not be sent", metadata: ["error": "\(error)"])
        }
    }
}
