import HTTP
import Kubernetes

/// libcurl's global initialisation, done once for the whole test process (as `main` does it for the CLI).
public enum Curl {
    // The result of the one `curl_global_init`, shared by every test.
    private static let initialized: Result<Void, CurlError> = Result { () throws(CurlError) in
        try initializeCurlForProcess()
    }

    /// Initialises libcurl if no test has yet.
    /// - Throws: `CurlError` if `curl_global_init` failed.
    public static func ready() throws {
        try initialized.get()
    }
}
