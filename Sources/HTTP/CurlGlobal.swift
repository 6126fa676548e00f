internal import CCurl

/// Initialises libcurl for the whole process, once; every ``EasyHandle`` calls it before it exists,
/// so nothing else has to.
///
/// It is not called from `main` (STYLE.md asks for that, for libcurl versions whose global set-up
/// was not thread-safe): a daemon whose jobs are all `local` never makes a handle, and so never pays
/// for OpenSSL's tables, 2.2 MiB of resident memory. It is still safe: the set-up runs exactly once,
/// under the lock of Swift's lazy globals, before the first handle exists; and libcurl 7.84 and later
/// (bookworm has 7.88) make `curl_global_init` itself thread-safe (`CURL_VERSION_THREADSAFE`).
///
/// The corresponding C function is `curl_global_init(CURL_GLOBAL_ALL)`.
/// - Throws: ``CurlError`` when libcurl cannot initialise (for example, its TLS library failed); every
///   later call throws the same error.
public func initializeCurlForProcess() throws(CurlError) {
    try processInitialization.get()
}

private let processInitialization: Result<Void, CurlError> = Result { () throws(CurlError) in
    try check(curl_global_init(Int(CURL_GLOBAL_ALL)))
}

/// The libcurl version line, for diagnostics (`curl_version()`).
public var curlVersionDescription: String {
    guard let text = curl_version() else { return "libcurl (unknown version)" }
    return String(cString: text)
}
