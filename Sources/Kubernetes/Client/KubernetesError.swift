public import HTTP
/// Everything that can go wrong talking to the API server, as values.
///
/// No case ever holds a token or a request's headers: requests are described by method and path,
/// credentials by ``CredentialSource/identity``.
public enum KubernetesError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The server refused or failed the request; `reason` and `message` come from its `Status` object.
    case api(status: Int, reason: String, message: String)
    /// 401: the server did not accept the credentials, even after refreshing them once.
    case unauthorized(identity: String, request: String, message: String)
    /// 403: the identity is known but may not do this.
    case forbidden(identity: String, verb: String, resource: String, message: String)
    /// No HTTP answer: DNS, connection, TLS or timeout, with libcurl's own words.
    case transport(CurlError, request: String)
    /// The server answered something that is not the JSON expected.
    case invalidResponse(String)
    /// Credentials could not be obtained (kubeconfig, token file, exec plugin, AWS).
    case credentials(String)
    /// The configuration is unusable (missing cluster, unknown context, bad kubeconfig).
    case configuration(String)
    /// The calling task was cancelled.
    case cancelled

    /// Whether this is 409 `AlreadyExists`: a create found an object of that name.
    public var isAlreadyExists: Bool {
        if case .api(409, "AlreadyExists", _) = self { return true }
        return false
    }

    /// Whether this is 409 `Conflict`: a precondition (resourceVersion, uid) did not hold.
    public var isConflict: Bool {
        if case .api(409, "Conflict", _) = self { return true }
        return false
    }

    /// Whether this is 404 `NotFound`.
    public var isNotFound: Bool {
        if case .api(404, _, _) = self { return true }
        return false
    }

    /// Whether this is 410 `Gone`/`Expired`: a watch's resourceVersion is too old and a relist is needed.
    public var isGone: Bool {
        if case .api(410, _, _) = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .api(let status, let reason, let message): "Kubernetes API error \(status) \(reason): \(message)"
        case .unauthorized(let identity, let request, let message):
            "\(request) was refused as unauthorized (401) for \(identity): \(message)"
        case .forbidden(let identity, let verb, let resource, let message):
            "\(identity) may not \(verb) \(resource) (403): \(message)"
        case .transport(let error, let request): "\(request): \(error)"
        case .invalidResponse(let text): "unexpected answer from the API server: \(text)"
        case .credentials(let text): "credentials: \(text)"
        case .configuration(let text): "configuration: \(text)"
        case .cancelled: "cancelled"
        }
    }
}
