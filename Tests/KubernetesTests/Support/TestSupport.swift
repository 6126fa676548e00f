import HTTP
import Foundation
import Kubernetes
import TestSupport

/// Files beside the tests, found from this source file's path (no SwiftPM resources).
enum Fixture {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")
    static let repository = directory.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func data(_ name: String) throws -> Data {
        try Data(contentsOf: directory.appendingPathComponent(name))
    }

    static func text(_ name: String) throws -> String {
        String(decoding: try data(name), as: UTF8.self)
    }
}

/// The Kubernetes emulator peer started by `scripts/test` (scripts/peers/kmock.sh).
enum Peer {
    static let environment = PeerEnvironment.variables
    static var isRunning: Bool { environment["FARGATE_CRON_TEST_KUBE_HTTP"] != nil }
    static var http: String { environment["FARGATE_CRON_TEST_KUBE_HTTP"]! }
    static var https: String { environment["FARGATE_CRON_TEST_KUBE_HTTPS"]! }

    static func caPEM() throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: environment["FARGATE_CRON_TEST_KUBE_CA"]!))
    }

    static func wrongCAPEM() throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: environment["FARGATE_CRON_TEST_KUBE_WRONG_CA"]!))
    }

    /// A namespace of its own for each test, so that tests running in parallel never see each other.
    static func namespace(_ test: String) -> String {
        "\(test)-\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// A client of the emulator over plain HTTP (or through `server`, a proxy in front of it).
    static func client(
        server: String? = nil, token: String? = nil, retry: RetryPolicy = RetryPolicy(baseDelay: .milliseconds(20)),
        idleTimeout: Duration = .seconds(120)
    ) throws -> KubeClient {
        try Curl.ready()
        let transport = CurlTransport(
            configuration: .init(requestTimeout: .seconds(20), streamIdleTimeout: idleTimeout))
        let credentials: any CredentialSource =
            token.map { StaticToken($0, identity: "test user \"tester\"") } ?? NoCredentials(identity: "test user \"anonymous\"")
        return KubeClient(server: server ?? http, transport: transport, credentials: credentials, retry: retry)
    }

    /// A client with the emulator's cluster-admin token (`system:admin`), for what the tests play
    /// themselves (the Job controller's pods, the kubelet's events): everything else runs under the
    /// daemon's Role (deploy/kubernetes/rbac.yaml), which may not create pods.
    static func admin() throws -> KubeClient { try client(token: "system:admin") }

    /// Calls one of the emulator's test controls (`/_emulator/...`).
    static func control(_ path: String, _ body: JSONValue = .object([:])) async throws {
        let transport = CurlTransport()
        let response = try await transport.send(HTTPRequest(
            method: .post, url: http + "/_emulator/" + path, headers: [("Content-Type", "application/json")],
            body: try JSONEncoder().encode(body)))
        guard response.status == 200 else { throw KubernetesError.invalidResponse("control \(path): \(response.status)") }
    }
}

/// A small Job like the ones the daemon creates.
func sampleJob(_ name: String, labels: [String: String] = ["app.kubernetes.io/managed-by": "fargate-cron"]) -> Job {
    Job(
        metadata: ObjectMeta(name: name, labels: labels),
        spec: JobSpec(
            template: PodTemplateSpec(spec: PodSpec(
                containers: [Container(name: "job", image: "busybox:1.36", command: ["/bin/sh", "-c", "echo hi"])],
                restartPolicy: "Never")),
            backoffLimit: 0))
}

/// Collects the first `count` elements of an async sequence, failing after `deadline` without them.
func first<S: AsyncSequence & Sendable>(
    _ count: Int, of sequence: S, within deadline: Duration = .seconds(20)
) async throws -> [S.Element] where S.Element: Sendable {
    try await withThrowingTaskGroup(of: [S.Element]?.self) { group in
        group.addTask {
            var collected: [S.Element] = []
            for try await element in sequence {
                collected.append(element)
                if collected.count == count { break }
            }
            return collected
        }
        group.addTask {
            try await Task.sleep(for: deadline)
            return nil
        }
        defer { group.cancelAll() }
        guard let result = try await group.next()!, result.count == count else {
            throw KubernetesError.invalidResponse("fewer than \(count) elements within \(deadline)")
        }
        return result
    }
}

/// A pod as the kubelet reports it once its one container runs on a node: what a log request needs
/// (a pod without a node answers an empty log; one whose container still waits is refused with 400).
func runningPod(_ name: String, labels: [String: String]? = nil) throws -> Pod {
    let labelsJSON = try String(decoding: JSONEncoder().encode(labels ?? [:]), as: UTF8.self)
    return try KubernetesJSON.decoder.decode(Pod.self, from: Data("""
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "\(name)", "labels": \(labelsJSON)},
         "spec": {"nodeName": "fargate-ip-10-0-1-1.compute.internal", "restartPolicy": "Never",
                  "containers": [{"name": "job", "image": "busybox:1.36"}]},
         "status": {"phase": "Running", "containerStatuses": [{"name": "job", "ready": true, "restartCount": 0,
                    "state": {"running": {"startedAt": "2026-03-08T03:00:00Z"}}}]}}
        """.utf8))
}
