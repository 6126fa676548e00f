internal import CCurl
import Synchronization

/// Keeps the TLS sessions in libcurl's session cache resumable after their connection ends without a
/// TLS close (`close_notify`), as every HTTP/2 connection does here.
///
/// libcurl 7.88 frees the OpenSSL object of an HTTP/2 connection without `SSL_shutdown` (after a
/// GOAWAY, or when the connection is lost; HTTP/1.1 connections are shut down properly), and OpenSSL
/// then marks that connection's session not resumable (`SSL_free` → `SSL_CTX_remove_session`, an
/// SSLv3-era rule: TLS 1.1 and later allow resuming after an incomplete close, and a TLS 1.3 ticket is
/// not tied to its connection at all). libcurl's cache holds that same session object, so the next
/// connection offered a dead ticket ("SSL re-using session ID"), OpenSSL did not send it, and every
/// new HTTP/2 connection cost a full handshake (seen in nghttpx's log, and with gdb: `SSL_free`
/// called `SSL_CTX_remove_session`, `SSL_shutdown` never ran).
///
/// Here libcurl's new-session callback is given a copy of each new session to keep, while the
/// connection keeps the original: marking the original changes nothing in the cache. Installed on
/// every `SSL_CTX` libcurl makes, through `CURLOPT_SSL_CTX_FUNCTION`, which libcurl calls after it
/// has set its own callback. Only on the loop's thread, like every libcurl call.
/// - SeeAlso: https://curl.se/libcurl/c/CURLOPT_SSL_CTX_FUNCTION.html,
///   https://www.openssl.org/docs/man3.0/man3/SSL_CTX_sess_set_new_cb.html
enum TLSSessionCopies {
    typealias NewSessionCallback = @convention(c) (OpaquePointer?, OpaquePointer?) -> Int32

    /// Whether libcurl's TLS library is the OpenSSL this process links: the `SSL_CTX` libcurl hands
    /// over is then one these calls understand. When it is not (a libcurl built on another TLS
    /// library), nothing is installed and sessions behave as libcurl alone makes them.
    /// (`CURLVERSION_ELEVENTH` is libcurl 7.88's `CURLVERSION_NOW`, a macro Swift cannot import.)
    static let isUsable: Bool = {
        guard let info = curl_version_info(CURLVERSION_ELEVENTH), let curlTLS = info.pointee.ssl_version,
            let linked = OpenSSL_version(OPENSSL_VERSION_STRING)
        else { return false }
        return String(cString: curlTLS) == "OpenSSL/" + String(cString: linked)
    }()

    /// For `CURLOPT_SSL_CTX_FUNCTION`: wraps libcurl's new-session callback on `context`.
    static let contextCallback: ccurl_ssl_context_callback = { _, context, _ in
        guard let context = context.map(OpaquePointer.init), let current = SSL_CTX_sess_get_new_cb(context) else {
            return CURLE_OK  // libcurl keeps no sessions for this connection (its session cache is off)
        }
        let isLibcurls = libcurlCallback.withLock { stored in
            if stored == nil { stored = current }
            return unsafeBitCast(stored, to: UnsafeRawPointer.self) == unsafeBitCast(current, to: UnsafeRawPointer.self)
        }
        // Some other callback than the one remembered (never seen): left as it is, as one that is not
        // known to keep what it is given cannot be handed a copy.
        if isLibcurls { SSL_CTX_sess_set_new_cb(context, copyingCallback) }
        return CURLE_OK
    }

    /// libcurl's own new-session callback: one function for every `SSL_CTX` it makes.
    private static let libcurlCallback = Mutex<NewSessionCallback?>(nil)

    /// Gives libcurl a copy of `session` and leaves the original to the connection (returns 0:
    /// OpenSSL keeps, and later frees, its reference to it).
    private static let copyingCallback: NewSessionCallback = { ssl, session in
        guard let libcurls = libcurlCallback.withLock({ $0 }) else { return 0 }
        guard let copy = SSL_SESSION_dup(session) else {
            // Out of memory: libcurl keeps the original, as it would without this.
            return libcurls(ssl, session)
        }
        // 0: libcurl did not keep the copy (no transfer to file it under, or its cache is off).
        if libcurls(ssl, copy) == 0 { SSL_SESSION_free(copy) }
        return 0
    }
}
