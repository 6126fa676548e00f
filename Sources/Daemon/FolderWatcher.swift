import Foundation
import Glibc

/// Watches a folder with inotify and reports that something in it changed (a file written,
/// created, removed or renamed). Reads happen on a thread of its own, woken by `poll`.
///
/// One change is reported once: an editor saves a file in several steps (truncate, write, close;
/// or write a temporary file and rename it), each an event of its own, so events are collected
/// until the folder has been quiet for `quietPeriod`, and only then is the change reported.
final class FolderWatcher: Sendable {
    /// Why a folder cannot be watched: the C call and its errno.
    struct Failure: Error, CustomStringConvertible {
        var call: String
        var code: Int32
        var folder: String
        var description: String { "\(call) on \(folder) failed: \(String(cString: strerror(code))) (errno \(code))" }
    }

    let changes: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation
    private let inotify: Int32
    private let stopRead: Int32
    private let stopWrite: Int32

    /// Starts watching `folder`. The corresponding C functions are inotify_init1 and inotify_add_watch.
    /// - Parameter quietPeriod: how long the folder must stay quiet after an event before the change
    ///   is reported.
    init(folder: String, quietPeriod: Duration) throws(Failure) {
        let fd = inotify_init1(Int32(IN_CLOEXEC))
        guard fd >= 0 else { throw Failure(call: "inotify_init1", code: errno, folder: folder) }
        let mask = UInt32(IN_CLOSE_WRITE | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_MODIFY)
        guard inotify_add_watch(fd, folder, mask) >= 0 else {
            let code = errno
            close(fd)
            throw Failure(call: "inotify_add_watch", code: code, folder: folder)
        }
        var pipeEnds: [Int32] = [-1, -1]
        guard pipe(&pipeEnds) == 0 else {
            let code = errno
            close(fd)
            throw Failure(call: "pipe", code: code, folder: folder)
        }
        for end in pipeEnds where fcntl(end, F_SETFD, FD_CLOEXEC) != 0 {
            let code = errno
            close(fd)
            close(pipeEnds[0])
            close(pipeEnds[1])
            throw Failure(call: "fcntl FD_CLOEXEC", code: code, folder: folder)
        }
        inotify = fd
        stopRead = pipeEnds[0]
        stopWrite = pipeEnds[1]
        (changes, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let quietMilliseconds = Int32(clamping: Int((quietPeriod / .milliseconds(1)).rounded(.up)))
        Thread { [inotify, stopRead, continuation] in
            Self.watch(inotify: inotify, stop: stopRead, quietMilliseconds: quietMilliseconds, into: continuation)
        }.start()
    }

    /// Stops the watching thread; `changes` ends.
    func stop() {
        var byte: UInt8 = 1
        if write(stopWrite, &byte, 1) < 0 {
            FileHandle.standardError.write(Data("fargate-cron: cannot stop the folder watcher: errno \(errno)\n".utf8))
        }
    }

    deinit {
        close(stopWrite)
    }

    private static func watch(
        inotify: Int32, stop: Int32, quietMilliseconds: Int32, into continuation: AsyncStream<Void>.Continuation
    ) {
        defer {
            close(inotify)
            close(stop)
            continuation.finish()
        }
        var buffer = [UInt8](repeating: 0, count: 16_384)
        /// Waits up to `timeout` ms (-1: forever) and reads the events there are: `.events`, `.quiet`
        /// when the time ran out, `.stop` when asked to stop or the descriptor failed.
        enum Wait { case events, quiet, stop }
        func wait(_ timeout: Int32) -> Wait {
            while true {
                var fds = [pollfd(fd: inotify, events: Int16(POLLIN), revents: 0), pollfd(fd: stop, events: Int16(POLLIN), revents: 0)]
                let ready = poll(&fds, 2, timeout)
                if ready < 0, errno == EINTR { continue }
                guard ready >= 0, fds[1].revents == 0 else { return .stop }
                if ready == 0 { return .quiet }
                let count = read(inotify, &buffer, buffer.count)
                if count < 0, errno == EINTR { continue }
                return count > 0 ? .events : .stop
            }
        }
        while wait(-1) == .events {
            // The rest of this change: more events until the folder is quiet. Which file changed
            // does not matter: a reload reads the whole folder.
            var next = wait(quietMilliseconds)
            while next == .events { next = wait(quietMilliseconds) }
            guard next == .quiet else { return }
            continuation.yield()
        }
    }
}
