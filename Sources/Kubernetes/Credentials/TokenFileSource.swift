import Foundation
import Synchronization

/// A bearer token read from a file that something else rotates (kubeconfig `tokenFile`, the
/// in-cluster service account token). Re-read at most a minute after the last read, as client-go
/// does, and at once after a 401.
public final class TokenFileSource: CredentialSource {
    private let path: String
    private let maximumAge: Duration
    private let cache = Mutex<(token: String, readAt: ContinuousClock.Instant)?>(nil)
    public let identity: String

    /// Creates a source for the token in `path`.
    public init(path: String, identity: String, maximumAge: Duration = .seconds(60)) {
        self.path = path
        self.identity = identity
        self.maximumAge = maximumAge
    }

    public func authorizationHeader(refreshing: Bool) async throws(KubernetesError) -> String? {
        let now = ContinuousClock.now
        if !refreshing, let cached = cache.withLock({ $0 }), now - cached.readAt < maximumAge {
            return "Bearer \(cached.token)"
        }
        let token: String
        do {
            token = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        } catch {
            throw .credentials("cannot read the token file \(path): \(error.localizedDescription)")
        }
        guard !token.isEmpty else { throw .credentials("the token file \(path) is empty") }
        cache.withLock { $0 = (token, now) }
        return "Bearer \(token)"
    }
}
