import Testing

@testable import Kubernetes

/// Path segments and query values are percent-encoded as RFC 3986 asks: its unreserved characters
/// stay, every other byte of the UTF-8 becomes `%XX`.
@Suite struct PercentEncodingTests {
    @Test func dnsLabelsAndUnreservedCharactersStayAsTheyAre() {
        #expect(percentEncoded("batch-jobs") == "batch-jobs")
        #expect(percentEncoded("nightly-report-29546100") == "nightly-report-29546100")
        #expect(percentEncoded("A.b_c~d-9") == "A.b_c~d-9")
        #expect(percentEncoded("") == "")
    }

    @Test func everyOtherByteIsEncoded() {
        #expect(percentEncoded("app.kubernetes.io/managed-by=fargate-cron")
                == "app.kubernetes.io%2Fmanaged-by%3Dfargate-cron")
        #expect(percentEncoded("a b&c?d#e%f") == "a%20b%26c%3Fd%23e%25f")
        #expect(percentEncoded("2026-12-07T16:00:00Z") == "2026-12-07T16%3A00%3A00Z")
    }

    /// Letters outside ASCII are not unreserved in a URL: their UTF-8 bytes are encoded (the
    /// character-set version left them raw, as Foundation's `alphanumerics` counts them).
    @Test func lettersOutsideASCIIAreEncodedByteByByte() {
        #expect(percentEncoded("café") == "caf%C3%A9")
        #expect(percentEncoded("ж") == "%D0%B6")
    }
}
