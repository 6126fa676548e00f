public import Foundation

/// How the transport proves the server is the cluster, and optionally who we are.
///
/// Verification of the server's certificate and host name is always on: there is deliberately no
/// option to turn it off. Without ``certificateAuthority`` the system's CA bundle is used.
public struct TLSConfiguration: Sendable, Hashable {
    /// PEM certificates of the authorities that sign the API server's certificate
    /// (a kubeconfig's `certificate-authority-data` or `certificate-authority` file, the in-cluster `ca.crt`).
    public var certificateAuthority: Data?
    /// The PEM client certificate for mutual TLS (kubeconfig `client-certificate[-data]`).
    public var clientCertificate: Data?
    /// The PEM private key of ``clientCertificate`` (kubeconfig `client-key[-data]`).
    public var clientKey: Data?

    /// Creates a TLS configuration.
    public init(certificateAuthority: Data? = nil, clientCertificate: Data? = nil, clientKey: Data? = nil) {
        self.certificateAuthority = certificateAuthority
        self.clientCertificate = clientCertificate
        self.clientKey = clientKey
    }
}
