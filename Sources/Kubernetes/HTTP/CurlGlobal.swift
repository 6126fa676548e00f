internal import CCurl

/// Initialises libcurl for the whole process. Call it once, from `main`, before any task starts
/// and before the first ``CurlTransport`` is made (libcurl's global state is not thread-safe).
///
/// The corresponding C function is `curl_global_init(CURL_GLOBAL_ALL)`.
/// - Throws: ``CurlError`` when libcurl cannot initialise (for example, its TLS library failed).
public func initializeCurlForProcess() throws(CurlError) {
    try check(curl_global_init(Int(CURL_GLOBAL_ALL)))
}

/// The libcurl version line, for diagnostics (`curl_version()`).
public var curlVersionDescription: String {
    guard let text = curl_version() else { return "libcurl (unknown version)" }
    return String(cString: text)
}
