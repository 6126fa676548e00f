public import HTTP

extension KubeClient {
    /// The same client, except that it sends no request that changes the cluster (POST, PUT, PATCH,
    /// DELETE) unless `isLeading()` holds at the moment of sending: the last gate before a Job is
    /// created or a pod deleted, so that a host that stopped leading (its renew deadline passed, or
    /// it is shutting down) changes nothing, even from a task that has not heard of it yet.
    /// Reads (get, list, watch, logs) go through always.
    ///
    /// The election's own Lease calls must use a client without this gate.
    /// - Parameters:
    ///   - lease: `NAMESPACE/NAME`, for the refusal's message.
    ///   - isLeading: asked before each changing request; ``LeaderElector/isLeading`` in the daemon.
    public func leaderOnly(lease: String, isLeading: @escaping @Sendable () -> Bool) -> KubeClient {
        KubeClient(
            server: server, transport: LeaderOnlyTransport(base: transport, lease: lease, isLeading: isLeading),
            credentials: credentials, retry: retry)
    }
}

/// A ``Transport`` that refuses changing requests while this host does not lead (see
/// ``KubeClient/leaderOnly(lease:isLeading:)``).
struct LeaderOnlyTransport: Transport {
    let base: any Transport
    let lease: String
    let isLeading: @Sendable () -> Bool

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        if request.method != .get, !isLeading() {
            throw NotLeading(lease: lease, request: request.redactedDescription)
        }
        return try await base.send(request)
    }

    func stream(_ request: HTTPRequest) async throws -> HTTPStreamResponse {
        if request.method != .get, !isLeading() {
            throw NotLeading(lease: lease, request: request.redactedDescription)
        }
        return try await base.stream(request)
    }
}

/// A changing request refused because this host does not lead.
public struct NotLeading: Error, Hashable, Sendable, CustomStringConvertible {
    /// `NAMESPACE/NAME` of the Lease.
    public var lease: String
    /// The request, without secrets.
    public var request: String

    public var description: String {
        "not sent: this host does not hold the Lease \(lease) (any more), and only the leader changes the cluster (\(request))"
    }
}
