internal import CCurl
import Foundation
import Synchronization

/// One request on the ``CurlEventLoop``, from submission to its single end.
///
/// `@unchecked Sendable`: the submitting task fills in ``onEnd`` before handing the transfer to the
/// loop (through the loop's locked inbox, which orders the two); from then on only the loop's thread
/// touches it, except ``cancellation``, which is atomic.
final class CurlTransfer: @unchecked Sendable {
    let request: HTTPRequest
    let configuration: CurlTransport.Configuration
    let streaming: Bool
    let state: TransferState
    let counters: TransferCounters
    var cancellation: CancellationFlag { state.cancellation }
    /// Called once, on the loop's thread, when the transfer has ended (not when it is retried).
    var onEnd: ((CurlTransfer, Result<Void, any Error>) -> Void)?

    /// `https://host:port` for a TLS request (where HTTP/2 may multiplex), nil otherwise.
    let tlsOrigin: String?
    /// The handle while the transfer is on the loop.
    var handle: EasyHandle?
    /// How many times the request went on the wire (libcurl's pre-request callback).
    var sends = 0
    /// When it first went on the wire.
    var onWireAt: ContinuousClock.Instant?
    /// Whether libcurl opened a new connection for it (rather than reuse one).
    var openedConnection = false
    /// Set when libcurl wanted to send a request that is not retry-safe a second time and was stopped.
    var stoppedResend = false
    /// ``sends`` when the transfer was last put on the multi handle: a new connection libcurl opens
    /// for it after more sends than that is libcurl sending it again by itself.
    var sendsAtLaunch = 0
    /// Set when libcurl wanted to open a new connection by itself to send the request again, and was
    /// stopped: see `socketOptionCallback`.
    var stoppedReconnect = false
    /// Whether the one retry on a new connection after a connection loss has been used.
    var retriedAfterConnectionLoss = false
    private var ended = false

    init(
        request: HTTPRequest, configuration: CurlTransport.Configuration, streaming: Bool, state: TransferState,
        counters: TransferCounters
    ) {
        self.request = request
        self.configuration = configuration
        self.streaming = streaming
        self.state = state
        self.counters = counters
        if let url = URLComponents(string: request.url), url.scheme?.lowercased() == "https", let host = url.host {
            tlsOrigin = "https://\(host.lowercased()):\(url.port ?? 443)"
        } else {
            tlsOrigin = nil
        }
    }

    /// Ends the transfer; a second call does nothing (a cancel that races the transfer's own end).
    func end(_ outcome: Result<Void, any Error>) {
        guard !ended else { return }
        ended = true
        counters.record(resent: sends > 1)
        onEnd?(self, outcome)
        onEnd = nil
    }

    /// Sets every option of this transfer on `handle` (a fresh one, or an idle one: it is reset first).
    func configure(_ handle: EasyHandle, share: ShareHandle) throws(CurlError) {
        try handle.reset()
        try handle.set(CURLOPT_URL, string: request.url)
        try handle.set(CURLOPT_PROTOCOLS_STR, string: "http,https")
        // - SeeAlso: https://curl.se/libcurl/c/CURLOPT_USERAGENT.html
        try handle.set(CURLOPT_USERAGENT, string: ProductVersion.userAgent)
        // libcurl's threaded resolver would otherwise use SIGALRM for DNS timeouts: signals are
        // process-wide, and this process has other threads.
        try handle.set(CURLOPT_NOSIGNAL, true)
        try handle.set(CURLOPT_SSL_VERIFYPEER, true)
        try handle.set(CURLOPT_SSL_VERIFYHOST, 2)
        let tls = configuration.tls
        if let authority = tls.certificateAuthority { try handle.set(CURLOPT_CAINFO_BLOB, blob: authority) }
        if let certificate = tls.clientCertificate {
            try handle.set(CURLOPT_SSLCERT_BLOB, blob: certificate)
            try handle.set(CURLOPT_SSLCERTTYPE, string: "PEM")
        }
        if let key = tls.clientKey {
            try handle.set(CURLOPT_SSLKEY_BLOB, blob: key)
            try handle.set(CURLOPT_SSLKEYTYPE, string: "PEM")
        }
        // TLS sessions come from the loop's share handle, so a new connection resumes an old session.
        try handle.setShare(share)
        // ... and stay resumable after an HTTP/2 connection ends without a TLS close (TLSSessionCopies).
        if TLSSessionCopies.isUsable { try handle.setSSLContextCallback(TLSSessionCopies.contextCallback) }
        try handle.set(CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS))
        // Wait for a connection being opened to the same server to show whether it multiplexes,
        // rather than open another: a burst of requests, or every stream of an HTTP/2 connection
        // that was just lost, then shares one new connection. Only over TLS, where ALPN answers at
        // the handshake: plain HTTP is never HTTP/2 here, yet libcurl would learn that only from the
        // first response, and a burst would wait for it.
        // - SeeAlso: https://curl.se/libcurl/c/CURLOPT_PIPEWAIT.html
        if request.url.lowercased().hasPrefix("https:") { try handle.set(CURLOPT_PIPEWAIT, true) }
        try handle.set(CURLOPT_CONNECTTIMEOUT_MS, milliseconds(configuration.connectTimeout))
        try handle.set(CURLOPT_TCP_KEEPALIVE, true)
        if streaming {
            // Not a smaller CURLOPT_BUFFERSIZE for streams, though each open stream holds libcurl's
            // 16 KiB receive buffer: with transfers of two buffer sizes on one HTTP/2 connection,
            // libcurl 7.88 wrote past the smaller buffer (glibc: "munmap_chunk(): invalid pointer";
            // h2 watches never opened). One size for every transfer.
            try handle.set(CURLOPT_LOW_SPEED_LIMIT, 1)
            try handle.set(CURLOPT_LOW_SPEED_TIME, max(1, milliseconds(configuration.streamIdleTimeout) / 1000))
        } else {
            try handle.set(CURLOPT_TIMEOUT_MS, milliseconds(configuration.requestTimeout))
        }
        switch request.method {
        case .get: try handle.set(CURLOPT_HTTPGET, true)
        default: try handle.set(CURLOPT_CUSTOMREQUEST, string: request.method.rawValue)
        }
        if let body = request.body {
            try handle.setBody(body)
        }
        // "Expect:" turns off 100-continue, which costs a round trip on every POST.
        try handle.setHeaders(request.headers.map { "\($0.name): \($0.value)" } + ["Expect:"])
        let stateContext = Unmanaged.passUnretained(state).toOpaque()
        try handle.setWriteCallback(bodyCallback, context: stateContext)
        try handle.setHeaderCallback(headerCallback, context: stateContext)
        try handle.setPrerequestCallback(prerequestCallback, context: Unmanaged.passUnretained(self).toOpaque())
        try handle.setSocketOptionCallback(socketOptionCallback, context: Unmanaged.passUnretained(self).toOpaque())
    }
}

/// A transport's running totals, kept by the loop's thread and read from anywhere.
final class TransferCounters: Sendable {
    private let transfers = Atomic<Int>(0)
    private let connections = Atomic<Int>(0)
    private let resends = Atomic<Int>(0)

    func record(connectionsOpened: Int) { connections.add(connectionsOpened, ordering: .relaxed) }

    func record(resent: Bool) {
        transfers.add(1, ordering: .relaxed)
        if resent { resends.add(1, ordering: .relaxed) }
    }

    var statistics: CurlTransport.Statistics {
        CurlTransport.Statistics(
            transfers: transfers.load(ordering: .relaxed), connectionsOpened: connections.load(ordering: .relaxed),
            resentRequests: resends.load(ordering: .relaxed))
    }
}

/// Set from any thread when the Swift side gives up on a transfer; read on the loop's thread.
final class CancellationFlag: Sendable {
    private let state = Atomic<Bool>(false)
    func cancel() { state.store(true, ordering: .relaxed) }
    var isCancelled: Bool { state.load(ordering: .relaxed) }
}

private func milliseconds(_ duration: Duration) -> Int {
    Int(duration / .milliseconds(1))
}

// libcurl's callbacks reach the transfer's state through unretained pointers: the loop holds every
// transfer on it (and so its state) until the handle has left the multi handle, after which libcurl
// calls nothing more.

private let bodyCallback: ccurl_data_callback = { buffer, size, count, context in
    let state = Unmanaged<TransferState>.fromOpaque(context!).takeUnretainedValue()
    let length = size * count
    guard let buffer, length > 0 else { return length }
    // Returning anything but `length` makes libcurl fail the transfer with CURLE_WRITE_ERROR.
    return state.receiveBody(UnsafeRawBufferPointer(start: buffer, count: length)) ? length : 0
}

private let headerCallback: ccurl_data_callback = { buffer, size, count, context in
    let state = Unmanaged<TransferState>.fromOpaque(context!).takeUnretainedValue()
    let length = size * count
    guard let buffer else { return length }
    state.receiveHeaderLine(UnsafeRawBufferPointer(start: buffer, count: length))
    return length
}

/// Counts the request's trips to the wire. libcurl sends a request again by itself, on a new
/// connection, when a reused connection died before any answer; for a request the caller did not
/// mark retry-safe that second copy is stopped here, and the transfer fails as a connection loss
/// instead, so that the caller (who may look before it sends again) decides.
private let prerequestCallback: ccurl_prereq_callback = { context, _, _, _, _ in
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(context!).takeUnretainedValue()
    transfer.sends += 1
    if transfer.onWireAt == nil { transfer.onWireAt = .now }
    if transfer.sends > 1 && !transfer.request.isRetrySafe {
        transfer.stoppedResend = true
        return Int32(CURL_PREREQFUNC_ABORT)
    }
    return Int32(CURL_PREREQFUNC_OK)
}

/// Refuses a new connection that libcurl opens by itself, for a request it already sent, after the
/// connection it was on died without an answer ("Connection died, retrying a fresh connect"). That
/// reconnect bypasses the event loop's admission: when an HTTP/2 connection carrying many streams is
/// lost, libcurl re-sends the one stream that read the error first (if it had no answer yet) on a
/// connection of its own at once, while the others fail and are sent again by the loop, whose first
/// then opens a second new connection (libcurl 7.88's CURLOPT_PIPEWAIT does not wait for a connection
/// still in its handshake once the server is known to multiplex). Refused here, the transfer ends and
/// the loop sends it again through its admission (``CurlEventLoop``'s `finish`), like every other
/// stream of the lost connection, so all of them share one new connection. A re-send on a connection
/// that already exists opens no socket and is not stopped here (``prerequestCallback`` judges it).
private let socketOptionCallback: ccurl_sockopt_callback = { context, _, _ in
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(context!).takeUnretainedValue()
    guard transfer.sends > transfer.sendsAtLaunch else { return Int32(CURL_SOCKOPT_OK) }
    transfer.stoppedReconnect = true
    return Int32(CURL_SOCKOPT_ERROR)
}
