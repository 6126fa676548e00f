import Foundation
import Kubernetes

/// Pods, Jobs and Events for table tests, written as the API server writes them (JSON), decoded
/// by the client's own decoder: each row says only what differs.
enum ClusterJSON {
    /// A container's state: `waiting`, `running` or `terminated`.
    enum State: Sendable {
        case waiting(String, String?)
        case running
        case terminated(Int, String)

        var json: [String: Any] {
            switch self {
            case .waiting(let reason, let message):
                var inner: [String: Any] = ["reason": reason]
                if let message { inner["message"] = message }
                return ["waiting": inner]
            case .running: return ["running": ["startedAt": "2026-11-29T06:31:02Z"]]
            case .terminated(let code, let reason):
                return ["terminated": ["exitCode": code, "reason": reason, "startedAt": "2026-11-29T06:31:02Z",
                                       "finishedAt": "2026-11-29T06:32:10Z"]]
            }
        }
    }

    static func waiting(_ reason: String, _ message: String? = nil) -> State { .waiting(reason, message) }
    static let running = State.running
    static func terminated(_ exitCode: Int, _ reason: String = "Completed") -> State { .terminated(exitCode, reason) }

    /// A container of the pod's spec, and its status.
    struct Box: Sendable {
        var name: String
        var image = "app:1"
        var state: State?
        var sidecar = false
    }

    static func pod(
        name: String = "report-29406750-x7k2p", created: String = "2026-11-29T06:30:01Z", phase: String = "Pending",
        initContainers: [Box] = [], containers: [Box], node: String? = nil, scheduler: String? = nil,
        annotations: [String: String] = [:], conditions: [[String: Any]] = []
    ) throws -> Pod {
        func spec(_ box: Box) -> [String: Any] {
            var container: [String: Any] = ["name": box.name, "image": box.image]
            if box.sidecar { container["restartPolicy"] = "Always" }
            return container
        }
        func statusOf(_ box: Box) -> [String: Any]? {
            box.state.map { ["name": box.name, "image": box.image, "ready": false, "restartCount": 0, "state": $0.json] }
        }
        var podSpec: [String: Any] = [
            "containers": containers.map(spec), "restartPolicy": "Never",
        ]
        if !initContainers.isEmpty { podSpec["initContainers"] = initContainers.map(spec) }
        if let node { podSpec["nodeName"] = node }
        if let scheduler { podSpec["schedulerName"] = scheduler }
        var status: [String: Any] = ["phase": phase, "conditions": conditions, "containerStatuses": containers.compactMap(statusOf)]
        if !initContainers.isEmpty { status["initContainerStatuses"] = initContainers.compactMap(statusOf) }
        let object: [String: Any] = [
            "apiVersion": "v1", "kind": "Pod",
            "metadata": [
                "name": name, "namespace": "batch", "uid": "uid-\(name)", "creationTimestamp": created,
                "annotations": annotations, "labels": ["job-name": "report-29406750"],
            ],
            "spec": podSpec, "status": status,
        ]
        return try KubernetesJSON.decoder.decode(Pod.self, from: JSONSerialization.data(withJSONObject: object))
    }

    /// An Event about the Job (`kind: Job`) or a pod, as its component records it.
    static func event(
        about name: String, kind: String = "Pod", uid: String? = nil, reason: String, message: String,
        at stamp: String = "2026-11-29T06:30:02Z", type: String = "Warning", source: String = "kubelet"
    ) throws -> Event {
        let object: [String: Any] = [
            "apiVersion": "v1", "kind": "Event",
            "metadata": ["name": "\(name).\(reason)", "namespace": "batch"],
            "involvedObject": ["kind": kind, "name": name, "namespace": "batch", "uid": uid ?? "uid-\(name)"],
            "reason": reason, "message": message, "type": type, "count": 1,
            "firstTimestamp": stamp, "lastTimestamp": stamp, "source": ["component": source],
        ]
        return try KubernetesJSON.decoder.decode(Event.self, from: JSONSerialization.data(withJSONObject: object))
    }

    /// A `PodScheduled: False` condition, as the scheduler sets it.
    static func unschedulable(_ message: String) -> [String: Any] {
        ["type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": message,
         "lastTransitionTime": "2026-11-29T06:30:02Z"]
    }
}
