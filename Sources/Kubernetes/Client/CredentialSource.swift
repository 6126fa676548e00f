/// Where the bearer token for each request comes from.
public protocol CredentialSource: Sendable {
    /// Who requests are made as, without any secret: for 401/403 messages and `token`-style diagnostics.
    var identity: String { get }

    /// The value of the `Authorization` header, or nil when the TLS client certificate is the identity.
    /// - Parameter refreshing: true after a 401: drop any cached token and get a fresh one.
    /// - Throws: ``KubernetesError/credentials(_:)`` when no token can be had.
    func authorizationHeader(refreshing: Bool) async throws(KubernetesError) -> String?
}

/// No bearer token (anonymous, or a client certificate does the work).
public struct NoCredentials: CredentialSource {
    public let identity: String

    /// Creates the empty source, described as `identity` in errors.
    public init(identity: String = "anonymous") { self.identity = identity }

    public func authorizationHeader(refreshing: Bool) async throws(KubernetesError) -> String? { nil }
}

/// A fixed bearer token (kubeconfig `token`).
public struct StaticToken: CredentialSource {
    private let token: String
    public let identity: String

    /// Creates a source for `token`, described as `identity` in errors (the token itself never is).
    public init(_ token: String, identity: String) {
        self.token = token
        self.identity = identity
    }

    public func authorizationHeader(refreshing: Bool) async throws(KubernetesError) -> String? { "Bearer \(token)" }
}
