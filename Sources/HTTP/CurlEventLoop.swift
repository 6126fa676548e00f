internal import CCurl
import Foundation
import Synchronization

/// Runs every libcurl transfer of the process — requests, watches, log streams — on one multi
/// handle, driven by one thread that waits in `epoll_wait` on the sockets libcurl asks for.
///
/// So a transfer costs no thread, however long it streams; connections are kept in the multi
/// handle's cache and reused by the next request to the same server (HTTP/1.1 keep-alive), and
/// requests to a server that speaks HTTP/2 share one connection as streams; TLS sessions are shared
/// too (``ShareHandle``), so a new connection resumes an earlier one's session.
///
/// Swift tasks hand it work through a locked inbox and an `eventfd` that wakes the thread; every
/// libcurl handle belongs to the thread alone. libcurl's socket interface (`curl_multi_socket_action`)
/// does work only for the sockets that are ready, so a thousand idle streams cost nothing per wake-up.
/// - SeeAlso: https://curl.se/libcurl/c/libcurl-multi.html
final class CurlEventLoop: @unchecked Sendable {  // state below `inbox` belongs to the loop's thread
    /// The process's one loop, started at the first transfer (a daemon whose jobs are all local
    /// never starts it).
    static func shared() throws(CurlError) -> CurlEventLoop {
        try sharedLoop.get()
    }

    private enum Command {
        case start(CurlTransfer)
        case cancel(CurlTransfer)
    }

    private let multi: MultiHandle
    private let share: ShareHandle
    private let poller: Int32  // epoll
    private let wakeup: Int32  // eventfd, registered in `poller` with `wakeupToken`
    private static let wakeupToken = UInt64.max
    private let inbox = Mutex<[Command]>([])

    private var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]  // by CURL *
    private var watched: Set<curl_socket_t> = []
    private var deadline: ContinuousClock.Instant?  // libcurl's timer
    private var idleHandles: [EasyHandle] = []
    /// Easy handles kept for the next transfers (their options are reset, their buffers kept); the
    /// connections themselves live in the multi handle. Somewhat arbitrarily picked.
    private let idleHandleLimit = 16

    private init() throws(CurlError) {
        multi = try MultiHandle()
        share = try ShareHandle()
        poller = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard poller >= 0 else { throw CurlError(CURLE_FAILED_INIT, detail: "epoll_create1: \(errnoText())") }
        wakeup = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        guard wakeup >= 0 else {
            close(poller)
            throw CurlError(CURLE_FAILED_INIT, detail: "eventfd: \(errnoText())")
        }
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.u64 = Self.wakeupToken
        guard epoll_ctl(poller, EPOLL_CTL_ADD, wakeup, &event) == 0 else {
            let detail = "epoll_ctl: \(errnoText())"
            close(poller)
            close(wakeup)
            throw CurlError(CURLE_FAILED_INIT, detail: detail)
        }
        // The loop lives as long as the process (it is a global), so libcurl may hold it unretained.
        let context = Unmanaged.passUnretained(self).toOpaque()
        try multi.setSocketCallback(socketCallback, context: context)
        try multi.setTimerCallback(timerCallback, context: context)
        // HTTP/2 streams share a connection (libcurl's default since 7.62, said here because it matters).
        try multi.set(CURLMOPT_PIPELINING, Int(CURLPIPE_MULTIPLEX))
        // Idle connections kept for reuse. libcurl's default (4 per transfer in progress) shrinks the
        // cache as a burst ends; 32 keeps a burst's connections for the next one. Somewhat arbitrary.
        try multi.set(CURLMOPT_MAXCONNECTS, 32)
    }

    private func startThread() {
        let thread = Thread { [self] in run() }
        thread.name = "http-loop"
        // libcurl and OpenSSL need far less; somewhat arbitrarily picked.
        thread.stackSize = 2 << 20
        thread.start()
    }

    // MARK: - From any thread

    /// Puts a transfer on the loop. It ends through its `onEnd`, exactly once.
    func start(_ transfer: CurlTransfer) { submit(.start(transfer)) }

    /// Ends a transfer at once, as cancelled; does nothing if it has already ended.
    func cancel(_ transfer: CurlTransfer) { submit(.cancel(transfer)) }

    private func submit(_ command: Command) {
        inbox.withLock { $0.append(command) }
        var one: UInt64 = 1
        // An eventfd write fails only when its counter would overflow (EAGAIN), and then a wake-up
        // is pending anyway.
        let written = write(wakeup, &one, 8)
        precondition(written == 8 || errno == EAGAIN, "eventfd write failed: \(errnoText())")
    }

    // MARK: - The loop's thread

    private func run() -> Never {
        var events = [epoll_event](repeating: epoll_event(), count: 64)
        while true {
            let count = epoll_wait(poller, &events, Int32(events.count), timeoutMilliseconds())
            if count < 0 {
                precondition(errno == EINTR, "epoll_wait failed: \(errnoText())")
                continue
            }
            for event in events[0..<Int(count)] {
                if event.data.u64 == Self.wakeupToken {
                    takeCommands()
                } else {
                    socketAction(curl_socket_t(truncatingIfNeeded: event.data.u64), flags: event.events)
                }
            }
            if let deadline, deadline <= .now {
                self.deadline = nil
                socketAction(CURL_SOCKET_TIMEOUT, flags: 0)
            }
            collectFinished()
        }
    }

    private func timeoutMilliseconds() -> Int32 {
        guard let deadline else { return -1 }
        let left = deadline - .now
        guard left > .zero else { return 0 }
        // Rounded up, so the wait never ends a little before libcurl's timer is due.
        return Int32(min((left + .microseconds(999)) / .milliseconds(1), 60_000))
    }

    private func takeCommands() {
        var counter: UInt64 = 0
        _ = read(wakeup, &counter, 8)  // EAGAIN: already drained by an earlier wake-up; nothing to do
        for command in inbox.withLock({ commands in defer { commands.removeAll() }; return commands }) {
            switch command {
            case .start(let transfer): begin(transfer)
            case .cancel(let transfer): stop(transfer)
            }
        }
    }

    private func begin(_ transfer: CurlTransfer) {
        if transfer.cancellation.isCancelled {
            transfer.end(.failure(CancellationError()))
            return
        }
        let handle: EasyHandle
        do {
            handle = try idleHandles.popLast() ?? EasyHandle()
            try transfer.configure(handle, share: share)
            try multi.add(handle)
        } catch {
            transfer.end(.failure(error))
            return
        }
        transfer.handle = handle
        active[handle.raw] = transfer
    }

    private func stop(_ transfer: CurlTransfer) {
        guard let handle = transfer.handle, active[handle.raw] === transfer else { return }
        release(transfer, handle)
        transfer.end(.failure(CancellationError()))
    }

    /// Takes a transfer's handle off the multi handle and keeps it for a later transfer.
    private func release(_ transfer: CurlTransfer, _ handle: EasyHandle) {
        active[handle.raw] = nil
        transfer.handle = nil
        do {
            try multi.remove(handle)
        } catch {
            // Only a handle libcurl does not know fails here; never reuse it then.
            return
        }
        if let opened = try? handle.connectionsOpened() { transfer.counters.record(connectionsOpened: opened) }
        if idleHandles.count < idleHandleLimit { idleHandles.append(handle) }
    }

    private func socketAction(_ socket: curl_socket_t, flags: UInt32) {
        var mask: Int32 = 0
        if flags & EPOLLIN.rawValue != 0 { mask |= CURL_CSELECT_IN }
        if flags & EPOLLOUT.rawValue != 0 { mask |= CURL_CSELECT_OUT }
        if flags & (EPOLLERR.rawValue | EPOLLHUP.rawValue) != 0 { mask |= CURL_CSELECT_ERR }
        do {
            try multi.socketAction(socket, events: mask)
        } catch {
            // libcurl failed as a whole (out of memory, or a socket callback that could not watch a
            // socket): no transfer can be trusted to progress, so each ends with the error.
            for transfer in active.values {
                if let handle = transfer.handle { release(transfer, handle) }
                transfer.end(.failure(error))
            }
        }
    }

    private func collectFinished() {
        for (easy, result) in multi.finishedTransfers() {
            guard let transfer = active[easy], let handle = transfer.handle else { continue }
            finish(transfer, handle, result)
        }
    }

    private func finish(_ transfer: CurlTransfer, _ handle: EasyHandle, _ result: CURLcode) {
        if transfer.cancellation.isCancelled {
            release(transfer, handle)
            transfer.end(.failure(CancellationError()))
            return
        }
        var failure = handle.error(for: result)
        if transfer.stoppedResend {
            failure = CurlError(
                CURLE_GOT_NOTHING,
                detail: "the connection closed before any answer, and the request is not retry-safe: not sent again")
        }
        if let failure, failure.isConnectionLoss, transfer.request.isRetrySafe, !transfer.retriedAfterConnectionLoss,
            !transfer.state.headDelivered
        {
            // Once, at once, on a new connection (the one it was on is gone): within the caller's attempt.
            transfer.retriedAfterConnectionLoss = true
            transfer.state.restart()
            if let opened = try? handle.connectionsOpened() { transfer.counters.record(connectionsOpened: opened) }
            do {
                try multi.remove(handle)
                try multi.add(handle)
                return
            } catch {
                release(transfer, handle)
                transfer.end(.failure(error))
                return
            }
        }
        if failure == nil {
            do {
                transfer.state.status = try handle.responseCode()
            } catch {
                failure = error
            }
        }
        release(transfer, handle)
        transfer.end(failure.map { .failure($0) } ?? .success(()))
    }

    // MARK: - libcurl's callbacks (on the loop's thread, inside a multi call)

    fileprivate func watch(_ socket: curl_socket_t, _ what: Int32) -> Int32 {
        if what == CURL_POLL_REMOVE {
            watched.remove(socket)
            // ENOENT/EBADF: libcurl closed the socket before saying so, and the kernel already
            // dropped a closed descriptor from the epoll set.
            if epoll_ctl(poller, EPOLL_CTL_DEL, socket, nil) != 0, errno != ENOENT, errno != EBADF { return -1 }
            return 0
        }
        var event = epoll_event()
        event.data.u64 = UInt64(truncatingIfNeeded: socket)
        if what == CURL_POLL_IN || what == CURL_POLL_INOUT { event.events |= EPOLLIN.rawValue }
        if what == CURL_POLL_OUT || what == CURL_POLL_INOUT { event.events |= EPOLLOUT.rawValue }
        // A descriptor number may come back for a new socket after libcurl closed the old one without
        // a REMOVE; so ADD and MOD each fall back to the other.
        let first = watched.contains(socket) ? EPOLL_CTL_MOD : EPOLL_CTL_ADD
        if epoll_ctl(poller, first, socket, &event) != 0 {
            let second = first == EPOLL_CTL_ADD ? EPOLL_CTL_MOD : EPOLL_CTL_ADD
            guard errno == EEXIST || errno == ENOENT, epoll_ctl(poller, second, socket, &event) == 0 else { return -1 }
        }
        watched.insert(socket)
        return 0
    }

    fileprivate func setTimer(milliseconds: Int) {
        deadline = milliseconds < 0 ? nil : .now + .milliseconds(milliseconds)
    }
}

private let sharedLoop: Result<CurlEventLoop, CurlError> = Result { () throws(CurlError) in
    let loop = try CurlEventLoop.make()
    return loop
}

extension CurlEventLoop {
    fileprivate static func make() throws(CurlError) -> CurlEventLoop {
        let loop = try CurlEventLoop()
        loop.startThread()
        return loop
    }
}

private let socketCallback: ccurl_socket_callback = { _, socket, what, context, _ in
    Unmanaged<CurlEventLoop>.fromOpaque(context!).takeUnretainedValue().watch(socket, what)
}

private let timerCallback: ccurl_timer_callback = { _, milliseconds, context in
    Unmanaged<CurlEventLoop>.fromOpaque(context!).takeUnretainedValue().setTimer(milliseconds: milliseconds)
    return 0
}

private func errnoText() -> String {
    String(cString: strerror(errno))
}
