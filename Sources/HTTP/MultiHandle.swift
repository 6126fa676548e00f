internal import CCurl

/// One libcurl multi handle: the connection cache, HTTP/2 multiplexing and the timers of every
/// transfer added to it. Not thread-safe: only the ``CurlEventLoop``'s thread touches it.
final class MultiHandle {
    let raw: UnsafeMutableRawPointer  // CURLM *

    /// The corresponding C function is `curl_multi_init`.
    init() throws(CurlError) {
        try initializeCurlForProcess()
        guard let raw = curl_multi_init() else { throw CurlError(CURLE_FAILED_INIT, detail: "curl_multi_init failed") }
        self.raw = raw
    }

    deinit { curl_multi_cleanup(raw) }

    func set(_ option: CURLMoption, _ value: Int) throws(CurlError) {
        try checkMulti(ccurl_multi_setopt_long(raw, option, value), "curl_multi_setopt")
    }

    func set(_ option: CURLMoption, pointer: UnsafeMutableRawPointer?) throws(CurlError) {
        try checkMulti(ccurl_multi_setopt_pointer(raw, option, pointer), "curl_multi_setopt")
    }

    /// - SeeAlso: https://curl.se/libcurl/c/CURLMOPT_SOCKETFUNCTION.html
    func setSocketCallback(_ callback: ccurl_socket_callback, context: UnsafeMutableRawPointer) throws(CurlError) {
        try checkMulti(ccurl_multi_setopt_socket_callback(raw, callback), "CURLMOPT_SOCKETFUNCTION")
        try set(CURLMOPT_SOCKETDATA, pointer: context)
    }

    /// - SeeAlso: https://curl.se/libcurl/c/CURLMOPT_TIMERFUNCTION.html
    func setTimerCallback(_ callback: ccurl_timer_callback, context: UnsafeMutableRawPointer) throws(CurlError) {
        try checkMulti(ccurl_multi_setopt_timer_callback(raw, callback), "CURLMOPT_TIMERFUNCTION")
        try set(CURLMOPT_TIMERDATA, pointer: context)
    }

    /// The corresponding C function is `curl_multi_add_handle`.
    func add(_ easy: EasyHandle) throws(CurlError) {
        try checkMulti(curl_multi_add_handle(raw, easy.raw), "curl_multi_add_handle")
    }

    /// The corresponding C function is `curl_multi_remove_handle`.
    func remove(_ easy: EasyHandle) throws(CurlError) {
        try checkMulti(curl_multi_remove_handle(raw, easy.raw), "curl_multi_remove_handle")
    }

    /// Lets libcurl act on `socket` (or, for `CURL_SOCKET_TIMEOUT`, on its expired timers).
    /// The corresponding C function is `curl_multi_socket_action`.
    func socketAction(_ socket: curl_socket_t, events: Int32) throws(CurlError) {
        var running: Int32 = 0
        let code = curl_multi_socket_action(raw, socket, events, &running)
        // CURLM_BAD_SOCKET: one wake-up reported several sockets, and acting on an earlier one made
        // libcurl close this one. Nothing is wrong; there is nothing left to do for it.
        if code == CURLM_BAD_SOCKET { return }
        try checkMulti(code, "curl_multi_socket_action")
    }

    /// The easy handles whose transfer has ended, with libcurl's result for each.
    /// The corresponding C function is `curl_multi_info_read`.
    func finishedTransfers() -> [(easy: UnsafeMutableRawPointer, result: CURLcode)] {
        var finished: [(easy: UnsafeMutableRawPointer, result: CURLcode)] = []
        var remaining: Int32 = 0
        while let message = curl_multi_info_read(raw, &remaining) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
            finished.append((easy, message.pointee.data.result))
        }
        return finished
    }
}

@available(*, unavailable) extension MultiHandle: Sendable {}

/// A libcurl share handle holding the TLS session cache, so that a new connection to a server
/// resumes the TLS session of an earlier one (an abbreviated handshake) instead of negotiating anew.
/// Only the ``CurlEventLoop``'s thread uses it, so it needs no lock callbacks.
final class ShareHandle {
    let raw: UnsafeMutableRawPointer  // CURLSH *

    /// The corresponding C function is `curl_share_init`.
    /// - SeeAlso: https://curl.se/libcurl/c/CURLSHOPT_SHARE.html
    init() throws(CurlError) {
        try initializeCurlForProcess()
        guard let raw = curl_share_init() else { throw CurlError(CURLE_FAILED_INIT, detail: "curl_share_init failed") }
        self.raw = raw
        let code = ccurl_share_setopt_long(raw, CURLSHOPT_SHARE, Int(CURL_LOCK_DATA_SSL_SESSION.rawValue))
        guard code == CURLSHE_OK else {
            curl_share_cleanup(raw)
            throw CurlError(CURLE_FAILED_INIT, detail: "curl_share_setopt: \(String(cString: curl_share_strerror(code)))")
        }
    }

    deinit { curl_share_cleanup(raw) }
}

@available(*, unavailable) extension ShareHandle: Sendable {}

/// Throws unless a multi-interface call returned `CURLM_OK`. A `CURLMcode` is not a `CURLcode`: the
/// error says `CURLE_FAILED_INIT` and carries the call and libcurl's text for the multi code.
func checkMulti(_ code: CURLMcode, _ call: String) throws(CurlError) {
    guard code != CURLM_OK else { return }
    let text = curl_multi_strerror(code).map { String(cString: $0) } ?? "multi code \(code.rawValue)"
    throw CurlError(CURLE_FAILED_INIT, detail: "\(call): \(text)")
}
