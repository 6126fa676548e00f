public import AWS
public import Foundation

/// Bearer tokens for an EKS cluster made natively from AWS credentials (see ``EKSToken``), cached
/// and replaced a minute before they expire, or at once after a 401.
public actor EKSTokenSource: CredentialSource {
    private let cluster: String
    private let region: String
    private let chain: AWSCredentialChain
    private let now: @Sendable () -> Date
    private var cached: EKSToken?
    public nonisolated let identity: String

    /// Creates a source.
    /// - Parameters:
    ///   - cluster: the EKS cluster name.
    ///   - region: its region.
    ///   - chain: where the AWS credentials come from.
    ///   - now: the clock.
    public init(cluster: String, region: String, chain: AWSCredentialChain, now: @escaping @Sendable () -> Date) {
        self.cluster = cluster
        self.region = region
        self.chain = chain
        self.now = now
        identity = "EKS token for cluster \"\(cluster)\" in \(region) signed with \(chain.profileDescription)"
    }

    /// A token, fresh or cached.
    public func token(refreshing: Bool = false) async throws(KubernetesError) -> EKSToken {
        let instant = now()
        if !refreshing, let cached, cached.expiration.timeIntervalSince(instant) > 60 { return cached }
        let credentials = try await chain.kubernetesCredentials(refreshing: refreshing)
        let token = EKSToken(cluster: cluster, region: region, credentials: credentials, at: instant)
        cached = token
        return token
    }

    public func authorizationHeader(refreshing: Bool) async throws(KubernetesError) -> String? {
        "Bearer \(try await token(refreshing: refreshing).token)"
    }
}

extension AWSCredentialChain {
    /// The chain's credentials, its failure told as a Kubernetes credentials error (the cluster
    /// could not be reached because no identity was found).
    func kubernetesCredentials(refreshing: Bool = false) async throws(KubernetesError) -> AWSCredentials {
        do { return try await credentials(refreshing: refreshing) } catch {
            switch error {
            case .credentials(let text): throw .credentials(text)
            }
        }
    }
}
