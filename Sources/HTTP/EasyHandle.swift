internal import CCurl
import Foundation

/// One libcurl easy handle: the options of one transfer. Not thread-safe: only the
/// ``CurlEventLoop``'s thread touches it. Connections live in the loop's multi handle, not here, so
/// any handle's next transfer may reuse any idle connection.
final class EasyHandle {
    let raw: UnsafeMutableRawPointer  // CURL *
    private var headers: UnsafeMutablePointer<curl_slist>?  // curl borrows it; freed in deinit or on replace
    private let errorBuffer: UnsafeMutablePointer<CChar>  // CURLOPT_ERRORBUFFER, lives as long as the handle

    /// The corresponding C function is `curl_easy_init`; libcurl's process-wide set-up comes first.
    init() throws(CurlError) {
        try initializeCurlForProcess()
        guard let raw = curl_easy_init() else { throw CurlError(CURLE_FAILED_INIT) }
        self.raw = raw
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
    }

    deinit {
        curl_slist_free_all(headers)
        curl_easy_cleanup(raw)
        errorBuffer.deallocate()
    }

    /// Forgets the previous request's options but keeps live connections and the TLS session cache.
    /// The corresponding C function is `curl_easy_reset`.
    func reset() throws(CurlError) {
        curl_easy_reset(raw)
        curl_slist_free_all(headers)
        headers = nil
        errorBuffer[0] = 0
        try set(CURLOPT_ERRORBUFFER, pointer: UnsafeMutableRawPointer(errorBuffer))
    }

    func set(_ option: CURLoption, _ value: Int) throws(CurlError) {
        try check(ccurl_easy_setopt_long(raw, option, value), errorBuffer)
    }

    func set(_ option: CURLoption, _ value: Bool) throws(CurlError) {
        try set(option, value ? 1 : 0)
    }

    func set(_ option: CURLoption, string: String) throws(CurlError) {
        // libcurl copies string options (since 7.17), so the temporary C string may go.
        try check(ccurl_easy_setopt_string(raw, option, string), errorBuffer)
    }

    func set(_ option: CURLoption, pointer: UnsafeMutableRawPointer?) throws(CurlError) {
        try check(ccurl_easy_setopt_pointer(raw, option, pointer), errorBuffer)
    }

    /// Sets a PEM blob option; `CURL_BLOB_COPY` makes libcurl keep its own copy.
    /// - SeeAlso: https://curl.se/libcurl/c/CURLOPT_CAINFO_BLOB.html
    func set(_ option: CURLoption, blob: Data) throws(CurlError) {
        var bytes = [UInt8](blob)
        let code = bytes.withUnsafeMutableBytes { buffer in
            var value = curl_blob(data: buffer.baseAddress, len: buffer.count, flags: UInt32(CURL_BLOB_COPY))
            return ccurl_easy_setopt_blob(raw, option, &value)
        }
        try check(code, errorBuffer)
    }

    /// Sets the request body; libcurl copies it (`CURLOPT_COPYPOSTFIELDS`), so `body` may go afterwards.
    func setBody(_ body: Data) throws(CurlError) {
        try set(CURLOPT_POSTFIELDSIZE, body.count)
        var bytes = [UInt8](body)
        bytes.append(0)  // never an empty buffer, whose base address could be nil
        let code = bytes.withUnsafeMutableBytes { ccurl_easy_setopt_pointer(raw, CURLOPT_COPYPOSTFIELDS, $0.baseAddress) }
        try check(code, errorBuffer)
    }

    /// Replaces the request headers (`CURLOPT_HTTPHEADER`).
    func setHeaders(_ lines: [String]) throws(CurlError) {
        var list: UnsafeMutablePointer<curl_slist>?
        for line in lines {
            guard let appended = curl_slist_append(list, line) else {
                curl_slist_free_all(list)
                throw CurlError(CURLE_OUT_OF_MEMORY)
            }
            list = appended
        }
        curl_slist_free_all(headers)
        headers = list
        try check(ccurl_easy_setopt_slist(raw, CURLOPT_HTTPHEADER, list), errorBuffer)
    }

    func setWriteCallback(_ callback: ccurl_data_callback, context: UnsafeMutableRawPointer) throws(CurlError) {
        try check(ccurl_easy_setopt_data_callback(raw, CURLOPT_WRITEFUNCTION, callback), errorBuffer)
        try set(CURLOPT_WRITEDATA, pointer: context)
    }

    func setHeaderCallback(_ callback: ccurl_data_callback, context: UnsafeMutableRawPointer) throws(CurlError) {
        try check(ccurl_easy_setopt_data_callback(raw, CURLOPT_HEADERFUNCTION, callback), errorBuffer)
        try set(CURLOPT_HEADERDATA, pointer: context)
    }

    /// Called each time libcurl is about to send the request on a connection: more than once when it
    /// sends it again by itself on a new connection after a reused one died without an answer.
    /// - SeeAlso: https://curl.se/libcurl/c/CURLOPT_PREREQFUNCTION.html
    func setPrerequestCallback(_ callback: ccurl_prereq_callback, context: UnsafeMutableRawPointer) throws(CurlError) {
        try check(ccurl_easy_setopt_prereq_callback(raw, callback), errorBuffer)
        try set(CURLOPT_PREREQDATA, pointer: context)
    }

    /// Called for each socket libcurl has made for a new connection, before it connects: the
    /// callback may refuse the connection (`CURL_SOCKOPT_ERROR`; the transfer then ends with
    /// `CURLE_ABORTED_BY_CALLBACK`).
    /// - SeeAlso: https://curl.se/libcurl/c/CURLOPT_SOCKOPTFUNCTION.html
    func setSocketOptionCallback(_ callback: ccurl_sockopt_callback, context: UnsafeMutableRawPointer) throws(CurlError) {
        try check(ccurl_easy_setopt_sockopt_callback(raw, callback), errorBuffer)
        try set(CURLOPT_SOCKOPTDATA, pointer: context)
    }

    /// Called with each new connection's OpenSSL `SSL_CTX` before its handshake.
    /// - SeeAlso: https://curl.se/libcurl/c/CURLOPT_SSL_CTX_FUNCTION.html
    func setSSLContextCallback(_ callback: ccurl_ssl_context_callback) throws(CurlError) {
        try check(ccurl_easy_setopt_ssl_context_callback(raw, callback), errorBuffer)
    }

    /// - SeeAlso: https://curl.se/libcurl/c/CURLOPT_SHARE.html
    func setShare(_ share: ShareHandle) throws(CurlError) {
        try check(ccurl_easy_setopt_share(raw, share.raw), errorBuffer)
    }

    /// The error for a finished transfer's result, with the text libcurl wrote into the error buffer.
    func error(for result: CURLcode) -> CurlError? {
        guard result != CURLE_OK else { return nil }
        return CurlError(result, detail: String(cString: errorBuffer))
    }

    /// How many new connections the last transfer had to open (`CURLINFO_NUM_CONNECTS`): 0 when it
    /// reused one (or joined an HTTP/2 connection), 1 or more otherwise.
    func connectionsOpened() throws(CurlError) -> Int {
        var count = 0
        try check(ccurl_easy_getinfo_long(raw, CURLINFO_NUM_CONNECTS, &count), errorBuffer)
        return count
    }

    /// The last response's status code (`CURLINFO_RESPONSE_CODE`).
    func responseCode() throws(CurlError) -> Int {
        var code = 0
        try check(ccurl_easy_getinfo_long(raw, CURLINFO_RESPONSE_CODE, &code), errorBuffer)
        return code
    }

    /// The HTTP version used by the last transfer (`CURLINFO_HTTP_VERSION`), e.g. `CURL_HTTP_VERSION_2_0`.
    func httpVersion() throws(CurlError) -> Int {
        var version = 0
        try check(ccurl_easy_getinfo_long(raw, CURLINFO_HTTP_VERSION, &version), errorBuffer)
        return version
    }
}

@available(*, unavailable) extension EasyHandle: Sendable {}
