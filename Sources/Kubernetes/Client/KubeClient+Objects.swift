import HTTP
import Foundation

/// How a delete treats the objects the deleted one owns.
public enum PropagationPolicy: String, Sendable {
    /// Delete now; the garbage collector deletes dependents (a Job's pods) afterwards.
    case background = "Background"
    /// Delete dependents first.
    case foreground = "Foreground"
    /// Leave dependents behind.
    case orphan = "Orphan"
}

extension KubeClient {
    /// Creates an object and returns it as the server stored it (with uid and resourceVersion).
    ///
    /// Never retried blindly, and never sent twice by the transport on its own: when an attempt fails
    /// in a way that leaves it unknown whether the object was made (a dropped connection, a timeout, a
    /// 5xx), the object is read by name first and returned if it exists; only if it does not is the
    /// create sent again. After a lost connection (a reset, a dead keep-alive or HTTP/2 connection)
    /// that send is at once, within the same attempt, once; otherwise after the attempt's backoff. A
    /// 429 is retried as is. This is where "a create by name is safe to repeat" lives: the name is
    /// the fence (a repeat that meets 409 after an ambiguous failure adopts the object).
    /// - Throws: ``KubernetesError``; ``KubernetesError/isAlreadyExists`` when the name was taken
    ///   before this call.
    public func create<T: KubernetesResource>(_ object: T, in namespace: String) async throws(KubernetesError) -> T {
        let path = ResourcePath<T>(namespace: namespace)
        let name = object.metadata.name
        let call = Call(method: .post, path: path.collection, body: try encode(object), verb: "create",
                        resource: path.describe(name))
        var attempt = 1
        var sentBefore = false
        var resentAtOnce = false
        while true {
            do {
                let response = try await perform(call, idempotent: false)
                return try decode(T.self, from: response, call: call)
            } catch let error where error.isAlreadyExists && sentBefore {
                // Our earlier, ambiguous attempt made it after all.
                if let name { return try await get(T.self, named: name, in: namespace) }
                throw error
            } catch let error
                where Self.isAmbiguous(error) && name != nil
                && (attempt < retry.maximumAttempts || (Self.isConnectionLoss(error) && !resentAtOnce))
            {
                if let existing = try await find(T.self, named: name!, in: namespace) { return existing }
                sentBefore = true
                if Self.isConnectionLoss(error) && !resentAtOnce {
                    resentAtOnce = true  // the connection died, not the server: no reason to wait
                    continue
                }
                try await pause(beforeRetry: attempt, retryAfter: nil)
                attempt += 1
                resentAtOnce = false
            }
        }
    }

    /// Whether a call failed because its connection died under it (not a timeout or a refusal).
    static func isConnectionLoss(_ error: KubernetesError) -> Bool {
        if case .transport(let curl, _) = error { return curl.isConnectionLoss }
        return false
    }

    /// Whether a failed create may nevertheless have been carried out by the server.
    static func isAmbiguous(_ error: KubernetesError) -> Bool {
        switch error {
        case .transport(let curl, _): curl.isConnectionFailure
        case .api(let status, _, _): status >= 500
        default: false
        }
    }

    /// Reads one object.
    /// - Throws: ``KubernetesError``; ``KubernetesError/isNotFound`` when there is none of that name.
    public func get<T: KubernetesResource>(
        _ type: T.Type, named name: String, in namespace: String
    ) async throws(KubernetesError) -> T {
        let path = ResourcePath<T>(namespace: namespace)
        let call = Call(method: .get, path: path.object(name), verb: "get", resource: path.describe(name))
        return try decode(T.self, from: try await perform(call, idempotent: true), call: call)
    }

    /// Reads one object, or nil when there is none of that name.
    public func find<T: KubernetesResource>(
        _ type: T.Type, named name: String, in namespace: String
    ) async throws(KubernetesError) -> T? {
        do {
            return try await get(type, named: name, in: namespace)
        } catch let error where error.isNotFound {
            return nil
        }
    }

    /// Lists objects, in one namespace or (nil) in all.
    /// - Parameters:
    ///   - labelSelector: such as `app.kubernetes.io/managed-by=fargate-cron,fargate-cron/job=nightly`.
    ///   - fieldSelector: such as `involvedObject.name=nightly-abc12`.
    ///   - keepingUnmodelledFields: false decodes ``Job``s and ``Pod``s without their `decodedJSON`
    ///     (see ``KubernetesJSON/decoder(keepingUnmodelledFields:)``).
    public func list<T: KubernetesResource>(
        _ type: T.Type, in namespace: String?, labelSelector: String? = nil, fieldSelector: String? = nil,
        keepingUnmodelledFields: Bool = true
    ) async throws(KubernetesError) -> ObjectList<T> {
        let path = ResourcePath<T>(namespace: namespace)
        var query: [(String, String)] = []
        if let labelSelector { query.append(("labelSelector", labelSelector)) }
        if let fieldSelector { query.append(("fieldSelector", fieldSelector)) }
        let call = Call(method: .get, path: path.collection, query: query, verb: "list", resource: path.describe())
        return try decode(
            ObjectList<T>.self, from: try await perform(call, idempotent: true), call: call,
            decoder: KubernetesJSON.decoder(keepingUnmodelledFields: keepingUnmodelledFields))
    }

    /// Deletes an object.
    /// - Parameters:
    ///   - uid: when set, the server deletes only the object with this uid (a precondition), so a Job
    ///     re-created under the same name is never deleted by mistake.
    ///   - propagation: what happens to dependents; `background` deletes a Job's pods after it.
    /// - Throws: ``KubernetesError``: `isNotFound` when there was nothing to delete, `isConflict` when
    ///   the uid did not match. A 404 after a retried attempt counts as success.
    public func delete<T: KubernetesResource>(
        _ type: T.Type, named name: String, in namespace: String, uid: String? = nil,
        propagation: PropagationPolicy = .background
    ) async throws(KubernetesError) {
        let path = ResourcePath<T>(namespace: namespace)
        var options: [String: JSONValue] = [
            "apiVersion": .string("v1"), "kind": .string("DeleteOptions"),
            "propagationPolicy": .string(propagation.rawValue),
        ]
        if let uid { options["preconditions"] = .object(["uid": .string(uid)]) }
        let call = Call(method: .delete, path: path.object(name), body: try encode(JSONValue.object(options)),
                        verb: "delete", resource: path.describe(name))
        _ = try await perform(call, idempotent: true)
    }

    /// Replaces an object (HTTP PUT). Its `metadata.resourceVersion` is a precondition: if the object
    /// changed since it was read, the server refuses with 409 (``KubernetesError/isConflict``).
    public func replace<T: KubernetesResource>(_ object: T, in namespace: String) async throws(KubernetesError) -> T {
        guard let name = object.metadata.name else { throw .configuration("replace needs metadata.name") }
        let path = ResourcePath<T>(namespace: namespace)
        let call = Call(method: .put, path: path.object(name), body: try encode(object), verb: "update",
                        resource: path.describe(name))
        return try decode(T.self, from: try await perform(call, idempotent: true), call: call)
    }

    /// The events about one object (a Job's pod, say), oldest first.
    public func events(about name: String, kind: String = "Pod", in namespace: String) async throws(KubernetesError) -> [Event] {
        let list = try await list(
            Event.self, in: namespace, fieldSelector: "involvedObject.name=\(name),involvedObject.kind=\(kind)")
        return list.items.sorted { ($0.lastTimestamp ?? .distantPast) < ($1.lastTimestamp ?? .distantPast) }
    }

    /// The events about every pod of a Job (its pods carry the label `job-name`).
    public func events(aboutPodsOfJob job: String, in namespace: String) async throws(KubernetesError) -> [Event] {
        let pods = try await list(Pod.self, in: namespace, labelSelector: "job-name=\(job)")
        var all: [Event] = []
        for pod in pods.items {
            if let name = pod.metadata.name { all += try await events(about: name, in: namespace) }
        }
        return all.sorted { ($0.lastTimestamp ?? .distantPast) < ($1.lastTimestamp ?? .distantPast) }
    }
}
