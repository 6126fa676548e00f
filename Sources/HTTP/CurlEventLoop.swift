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
    /// Per TLS origin, the transfer that is getting its connection (it has not yet reached the wire),
    /// and the transfers waiting behind it: see ``begin(_:)``.
    private var connecting: [String: CurlTransfer] = [:]
    private var waiting: [String: [CurlTransfer]] = [:]
    /// TLS origins whose server answered over HTTP/1.1: no connection sharing to wait for.
    private var serial: Set<String> = []
    /// The longest a new connection's first transfer holds the others back after it went on the wire
    /// while its answer is slow: a server's SETTINGS come within a round trip. Somewhat arbitrarily
    /// picked (a round trip across the world, and some); waiting less only costs extra connections.
    private let settingsWait = Duration.milliseconds(500)
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
        // The connection cache keeps libcurl's default size, 4 per transfer in progress: a fixed size
        // below the number of HTTP/1.1 transfers in flight closes each connection as its transfer
        // ends, and the next request opens a new one (measured: 1,898 connections for 2,000 requests
        // 50 at a time with a cache of 32).
        try multi.set(CURLMOPT_PIPELINING, Int(CURLPIPE_MULTIPLEX))
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
        // Named from inside the thread: Foundation's `Thread.name` does not reach the kernel on Linux,
        // so `ps -L` and /proc/PID/task/*/comm showed the name of the thread that started the loop
        // (a Swift concurrency worker, "…default-qos"). It cannot fail for a name this short.
        let named = ccurl_name_this_thread("http-loop")
        precondition(named == 0, "prctl(PR_SET_NAME) failed: \(errnoText())")
        // A buffer of the loop's own for the whole life of the thread (which never ends), not an
        // array: with `epoll_wait(…, &array, …)` beside a loop over a slice of the same array, the
        // release build copied the array at every wake-up and never freed the copies (heaptrack:
        // 3.85 MB over 4,815 wake-ups of one herd, ~800 bytes each; the debug build did not). Why
        // the optimiser did so is not pinned down; a plain buffer leaves nothing to copy.
        let events = UnsafeMutableBufferPointer<epoll_event>.allocate(capacity: 64)
        events.initialize(repeating: epoll_event())
        while true {
            let count = epoll_wait(poller, events.baseAddress, Int32(events.count), timeoutMilliseconds())
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
            // Admitting a transfer lets libcurl act, which may end others (or the one admitted), and
            // an ended transfer may let more in: until neither happens, so no ended transfer waits
            // in libcurl's queue for the next wake-up.
            repeat { collectFinished() } while admitWaiting()
        }
    }

    private func timeoutMilliseconds() -> Int32 {
        var next = deadline
        for (origin, _) in waiting {
            if let current = connecting[origin], let onWire = current.onWireAt, current.openedConnection {
                next = min(next ?? onWire + settingsWait, onWire + settingsWait)
            }
        }
        guard let next else { return -1 }
        let left = next - .now
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

    /// Puts a transfer on the multi handle, or, for a TLS origin where another transfer is still
    /// getting its connection, queues it until that one is on the wire.
    ///
    /// libcurl 7.88's CURLOPT_PIPEWAIT makes a burst wait for the first connection to a server; but
    /// once that connection is known to multiplex and is full (the server's stream limit), every
    /// further transfer of the burst opens a connection of its own (measured: 401 connections for 500
    /// streams through a front allowing 100 a connection). Admitting one transfer at a time per TLS
    /// origin until it is on the wire (libcurl's pre-request callback) lets each find the connection
    /// the previous one opened. A transfer that reuses a connection reaches the wire within the same
    /// `curl_multi_socket_action`, so the wait costs nothing then. One that opened a new connection is
    /// waited for until its answer's head (or ``settingsWait``): libcurl learns the server's stream
    /// limit from its SETTINGS frame, which comes before any answer, and without it libcurl assumes
    /// 100 streams, sends more than the server allows, and re-sends each refused stream on a
    /// connection of its own. Origins that answered over HTTP/1.1 are not held: each transfer needs
    /// its own connection there anyway.
    private func begin(_ transfer: CurlTransfer) {
        if transfer.cancellation.isCancelled {
            transfer.end(.failure(CancellationError()))
            return
        }
        if let origin = transfer.tlsOrigin, !serial.contains(origin) {
            if connecting[origin] != nil {
                waiting[origin, default: []].append(transfer)
                return
            }
            connecting[origin] = transfer
        }
        launch(transfer)
        // Let libcurl take it up now: it reaches the wire at once on a reused connection, which
        // admits the next waiting transfer in the same loop turn.
        if transfer.tlsOrigin != nil { socketAction(CURL_SOCKET_TIMEOUT, flags: 0) }
    }

    /// Admits waiting transfers of each origin whose connecting transfer is on the wire or gone.
    /// - Returns: whether it admitted any.
    private func admitWaiting() -> Bool {
        var admittedAny = false
        var admitted = true
        while admitted {
            admitted = false
            for (origin, queue) in waiting {
                if let current = connecting[origin], current.handle != nil {
                    if current.state.status > 0 && current.state.httpVersion.hasPrefix("1") { serial.insert(origin) }
                    let answered = current.state.status > 0
                    let settled = current.onWireAt.map { .now - $0 >= settingsWait } ?? false
                    let onWire = current.sends > 0 && (!current.openedConnection || answered || settled)
                    if !onWire && !serial.contains(origin) { continue }
                }
                connecting[origin] = nil
                guard let next = queue.first else {
                    waiting[origin] = nil
                    continue
                }
                waiting[origin] = queue.count > 1 ? Array(queue.dropFirst()) : nil
                begin(next)
                admitted = true
                admittedAny = true
            }
        }
        return admittedAny
    }

    private func launch(_ transfer: CurlTransfer) {
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
        transfer.sendsAtLaunch = transfer.sends
        active[handle.raw] = transfer
    }

    private func stop(_ transfer: CurlTransfer) {
        if let origin = transfer.tlsOrigin, let queue = waiting[origin], queue.contains(where: { $0 === transfer }) {
            let rest = queue.filter { $0 !== transfer }
            waiting[origin] = rest.isEmpty ? nil : rest
            transfer.end(.failure(CancellationError()))
            return
        }
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
        if transfer.stoppedResend || (transfer.stoppedReconnect && !transfer.request.isRetrySafe) {
            failure = CurlError(
                CURLE_GOT_NOTHING,
                detail: "the connection closed before any answer, and the request is not retry-safe: not sent again")
        } else if transfer.stoppedReconnect {
            // libcurl's own reconnect, refused (see `socketOptionCallback` in CurlTransfer.swift): the
            // loss it reacted to (libcurl's text) is the failure, and the retry below is the loop's.
            failure = CurlError(
                CURLE_GOT_NOTHING, detail: "the connection closed before any answer: \(failure?.detail ?? "")")
        }
        if let failure, failure.isConnectionLoss, transfer.request.isRetrySafe, !transfer.retriedAfterConnectionLoss,
            !transfer.state.headDelivered
        {
            // Once, at once, on a new connection (the one it was on is gone): within the caller's
            // attempt. Through the admission like a new transfer, so that the many streams of a lost
            // HTTP/2 connection share the one that replaces it.
            transfer.retriedAfterConnectionLoss = true
            transfer.stoppedReconnect = false
            transfer.state.restart()
            release(transfer, handle)
            begin(transfer)
            return
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

    fileprivate func watch(_ socket: curl_socket_t, _ what: Int32, for easy: UnsafeMutableRawPointer?) -> Int32 {
        if what != CURL_POLL_REMOVE, !watched.contains(socket), let easy {
            active[easy]?.openedConnection = true  // a socket libcurl has not used before: a new connection
        }
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

private let socketCallback: ccurl_socket_callback = { easy, socket, what, context, _ in
    Unmanaged<CurlEventLoop>.fromOpaque(context!).takeUnretainedValue().watch(socket, what, for: easy)
}

private let timerCallback: ccurl_timer_callback = { _, milliseconds, context in
    Unmanaged<CurlEventLoop>.fromOpaque(context!).takeUnretainedValue().setTimer(milliseconds: milliseconds)
    return 0
}

private func errnoText() -> String {
    String(cString: strerror(errno))
}
