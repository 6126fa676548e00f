internal import CCurl

/// A libcurl failure: the `CURLcode` and the text libcurl wrote into `CURLOPT_ERRORBUFFER`.
///
/// The detail never contains request headers, so a bearer token cannot leak through it.
public struct CurlError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The raw `CURLcode`.
    public var code: Int
    /// What libcurl said about this transfer (`CURLOPT_ERRORBUFFER`), or `curl_easy_strerror` when it said nothing.
    public var detail: String

    /// Creates an error from a libcurl code and the handle's error buffer.
    public init(code: Int, detail: String = "") {
        self.code = code
        if detail.isEmpty, let text = curl_easy_strerror(CURLcode(UInt32(code))) {
            self.detail = String(cString: text)
        } else {
            self.detail = detail
        }
    }

    init(_ code: CURLcode, detail: String = "") {
        self.init(code: Int(code.rawValue), detail: detail)
    }

    /// Whether the transfer was aborted because the Swift task was cancelled.
    public var isCancellation: Bool { code == Int(CURLE_ABORTED_BY_CALLBACK.rawValue) }

    /// Whether the failure is in the TLS layer (certificate verification, handshake, client certificate).
    public var isTLSFailure: Bool {
        [CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CONNECT_ERROR, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CACERT_BADFILE,
         CURLE_SSL_CIPHER, CURLE_SSL_ISSUER_ERROR].contains { Int($0.rawValue) == code }
    }

    /// Whether the request may not have reached the server's application, so that an idempotent
    /// request can be retried (connection refused, reset, timed out, DNS).
    public var isConnectionFailure: Bool {
        [CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_OPERATION_TIMEDOUT, CURLE_RECV_ERROR,
         CURLE_SEND_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE, CURLE_HTTP2, CURLE_HTTP2_STREAM]
            .contains { Int($0.rawValue) == code }
    }

    /// Whether a connection that was up died under the request (reset, closed early, an HTTP/2
    /// connection or stream error), as opposed to one never made or a timeout. A retry-safe request
    /// that fails this way is sent once more at once, on a new connection.
    public var isConnectionLoss: Bool {
        [CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE, CURLE_HTTP2, CURLE_HTTP2_STREAM]
            .contains { Int($0.rawValue) == code }
    }

    public var description: String {
        let what: String
        switch code {
        case Int(CURLE_COULDNT_RESOLVE_HOST.rawValue): what = "DNS lookup failed"
        case Int(CURLE_COULDNT_CONNECT.rawValue): what = "connection failed"
        case Int(CURLE_OPERATION_TIMEDOUT.rawValue): what = "timed out"
        case _ where isTLSFailure: what = "TLS failed"
        default: what = "transfer failed"
        }
        return "\(what): \(detail) (curl code \(code))"
    }
}

/// Throws unless `code` is `CURLE_OK`.
@inline(__always)
func check(_ code: CURLcode, _ errorBuffer: UnsafeMutablePointer<CChar>? = nil) throws(CurlError) {
    guard code != CURLE_OK else { return }
    let detail = errorBuffer.map { String(cString: $0) } ?? ""
    throw CurlError(code, detail: detail)
}
