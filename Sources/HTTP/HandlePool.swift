internal import CCurl
import Foundation

/// Idle easy handles, kept so that the next request reuses their connections and TLS sessions.
///
/// `@unchecked Sendable`: `lock` guards `idle`, and a handle taken out belongs to exactly one thread
/// until it is given back.
final class HandlePool: @unchecked Sendable {
    private let lock = NSLock()
    private var idle: [EasyHandle] = []
    /// Handles kept beyond this are closed; a burst of 200 streams should not keep 200 sockets open.
    /// Somewhat arbitrarily picked.
    private let keep = 16

    /// Runs one transfer on the calling thread with a pooled handle, then returns the handle.
    func perform(
        _ request: HTTPRequest, configuration: CurlTransport.Configuration, streaming: Bool, state: TransferState
    ) throws(CurlError) {
        let handle = try take()
        defer { giveBack(handle) }
        // Unretained: the caller holds `state` until this returns, and libcurl calls back only during perform.
        let context = Unmanaged.passUnretained(state).toOpaque()
        try configure(handle, request, configuration, streaming: streaming, context: context)
        try handle.perform()
        state.status = try handle.responseCode()
    }

    private func take() throws(CurlError) -> EasyHandle {
        let reused = lock.withLock { idle.popLast() }
        if let reused { return reused }
        return try EasyHandle()
    }

    private func giveBack(_ handle: EasyHandle) {
        lock.withLock {
            if idle.count < keep { idle.append(handle) }
        }
    }

    private func configure(
        _ handle: EasyHandle, _ request: HTTPRequest, _ configuration: CurlTransport.Configuration,
        streaming: Bool, context: UnsafeMutableRawPointer
    ) throws(CurlError) {
        try handle.reset()
        try handle.set(CURLOPT_URL, string: request.url)
        try handle.set(CURLOPT_PROTOCOLS_STR, string: "http,https")
        // - SeeAlso: https://curl.se/libcurl/c/CURLOPT_USERAGENT.html
        try handle.set(CURLOPT_USERAGENT, string: ProductVersion.userAgent)
        // Signals are process-wide and our transfers run on many threads: no SIGALRM for DNS timeouts.
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
        try handle.set(CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS))
        try handle.set(CURLOPT_CONNECTTIMEOUT_MS, milliseconds(configuration.connectTimeout))
        try handle.set(CURLOPT_TCP_KEEPALIVE, true)
        if request.method == .post || request.method == .patch {
            // libcurl silently sends a request again on a fresh connection when a reused one dies before
            // any answer: for a create whose first copy did reach the server, that is a second create.
            // A connection of its own for each non-idempotent request leaves the retry to KubeClient.
            // - SeeAlso: https://curl.se/libcurl/c/CURLOPT_FRESH_CONNECT.html
            try handle.set(CURLOPT_FRESH_CONNECT, true)
        }
        if streaming {
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
        try handle.setWriteCallback(bodyCallback, context: context)
        try handle.setHeaderCallback(headerCallback, context: context)
        try handle.setProgressCallback(progressCallback, context: context)
    }
}

private func milliseconds(_ duration: Duration) -> Int {
    Int(duration / .milliseconds(1))
}

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

private let progressCallback: ccurl_progress_callback = { context, _, _, _, _ in
    let state = Unmanaged<TransferState>.fromOpaque(context!).takeUnretainedValue()
    return state.cancellation.isCancelled ? 1 : 0  // non-zero: CURLE_ABORTED_BY_CALLBACK
}
