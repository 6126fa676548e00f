import Foundation
import HTTP

/// What one Lease call of the election came to. Every answer the election acts on is a value here;
/// only the calling task's cancellation is thrown.
public enum LeaseCallResult: Hashable, Sendable {
    /// The Lease as the server stores it now (after a get, a create or an update).
    case lease(Lease)
    /// 404: there is no Lease of that name (a get), or it was deleted (an update).
    case notFound
    /// 409: someone else was first: the name was taken (a create) or the Lease changed since it
    /// was read (an update's `resourceVersion` precondition). The election loses this round.
    case conflict(String)
    /// Anything else: no answer, a 5xx, a 403, an answer that is not a Lease. Said in words.
    case failed(String)
}

extension KubeClient {
    /// Reads a Lease. One attempt: the election's own loop is the retry, on its own clock.
    /// - Returns: `.lease`, `.notFound` or `.failed`.
    public func getLease(named name: String, in namespace: String) async -> LeaseCallResult {
        let path = ResourcePath<Lease>(namespace: namespace)
        return await leaseCall(Call(method: .get, path: path.object(name), verb: "get", resource: path.describe(name)))
    }

    /// Creates a Lease. One attempt, never retried and never "found afterwards": after an answer
    /// that leaves it unknown whether the Lease was made, the next round's get tells, because a Lease
    /// of that name found then may be another host's (the generic ``create(_:in:)`` would take it for ours).
    /// - Returns: `.lease`, `.conflict` (409 AlreadyExists: another host created it first) or `.failed`.
    public func createLease(_ lease: Lease, in namespace: String) async -> LeaseCallResult {
        let path = ResourcePath<Lease>(namespace: namespace)
        let body: Data
        do { body = try encode(lease) } catch { return .failed("\(error)") }
        return await leaseCall(Call(
            method: .post, path: path.collection, body: body, verb: "create", resource: path.describe(lease.metadata.name)))
    }

    /// Replaces a Lease (HTTP PUT) on the condition that it has not changed since it was read: the
    /// server compares `metadata.resourceVersion`, which must be set, and answers 409 Conflict when
    /// another host wrote first. One attempt: a retried PUT whose first attempt did land would meet
    /// its own write as a conflict.
    /// - Returns: `.lease`, `.conflict`, `.notFound` (the Lease was deleted) or `.failed`.
    public func updateLease(_ lease: Lease, in namespace: String) async -> LeaseCallResult {
        guard let name = lease.metadata.name, lease.metadata.resourceVersion != nil else {
            return .failed("a Lease update needs metadata.name and metadata.resourceVersion (the precondition)")
        }
        let path = ResourcePath<Lease>(namespace: namespace)
        let body: Data
        do { body = try encode(lease) } catch { return .failed("\(error)") }
        return await leaseCall(Call(method: .put, path: path.object(name), body: body, verb: "update", resource: path.describe(name)))
    }

    /// Sends one Lease call without the client's retries (a 401 still refreshes the credentials once).
    private func leaseCall(_ call: Call) async -> LeaseCallResult {
        let once = KubeClient(
            server: server, transport: transport, credentials: credentials,
            retry: RetryPolicy(maximumAttempts: 1, sleep: retry.sleep))
        do {
            let response = try await once.perform(call, idempotent: false)
            return .lease(try decode(Lease.self, from: response, call: call))
        } catch let error where error.isNotFound {
            return .notFound
        } catch .api(409, let reason, let message) {
            return .conflict("\(call.description): \(reason): \(message)")
        } catch {
            return .failed("\(error)")
        }
    }
}
