public import HTTP
public import Foundation

/// Where the API server is and how to talk to it: what every credential method resolves to.
public struct ClusterConnection: Sendable {
    /// The API server's base URL.
    public var server: String
    /// CA and client certificate.
    public var tls: TLSConfiguration
    /// Bearer tokens.
    public var credentials: any CredentialSource
    /// The namespace the configuration prefers (kubeconfig context, in-cluster namespace file).
    public var namespace: String?

    /// Creates a connection.
    public init(server: String, tls: TLSConfiguration, credentials: any CredentialSource, namespace: String?) {
        self.server = server
        self.tls = tls
        self.credentials = credentials
        self.namespace = namespace
    }

    /// A client over libcurl for this connection.
    public func makeClient(
        timeouts: CurlTransport.Configuration = CurlTransport.Configuration(), retry: RetryPolicy = RetryPolicy()
    ) -> KubeClient {
        var configuration = timeouts
        configuration.tls = tls
        return KubeClient(server: server, transport: CurlTransport(configuration: configuration),
                          credentials: credentials, retry: retry)
    }

    /// The in-cluster service account: `KUBERNETES_SERVICE_HOST`/`_PORT`, and the token, CA and
    /// namespace files under `/var/run/secrets/kubernetes.io/serviceaccount` (the token is re-read as
    /// the kubelet rotates it). Nil when not running in a pod.
    /// - Throws: ``KubernetesError/configuration(_:)`` when in a pod but the CA cannot be read.
    public static func inCluster(
        environment: [String: String], directory: String = "/var/run/secrets/kubernetes.io/serviceaccount"
    ) throws(KubernetesError) -> ClusterConnection? {
        guard let host = environment["KUBERNETES_SERVICE_HOST"], let port = environment["KUBERNETES_SERVICE_PORT"],
            FileManager.default.fileExists(atPath: "\(directory)/token")
        else { return nil }
        let ca: Data
        do {
            ca = try Data(contentsOf: URL(fileURLWithPath: "\(directory)/ca.crt"))
        } catch {
            throw .configuration("in-cluster: cannot read \(directory)/ca.crt: \(error.localizedDescription)")
        }
        let namespace = (try? String(contentsOfFile: "\(directory)/namespace", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let hostPart = host.contains(":") ? "[\(host)]" : host  // an IPv6 service address
        return ClusterConnection(
            server: "https://\(hostPart):\(port)", tls: TLSConfiguration(certificateAuthority: ca),
            credentials: TokenFileSource(path: "\(directory)/token", identity: "in-cluster service account (\(directory)/token)"),
            namespace: namespace)
    }
}
