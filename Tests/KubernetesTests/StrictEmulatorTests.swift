import HTTP
import Foundation
import TestSupport
import Testing

@testable import Kubernetes

/// The emulator (scripts/peers/kube_emulator.py) and its Fargate controller answer as a real cluster
/// does where the daemon's correctness depends on it; each behaviour has its test here, through the
/// raw HTTP API where the exact answer matters.
@Suite(.enabled(if: Peer.isRunning, "needs the Kubernetes emulator (scripts/test starts it)"))
struct StrictEmulatorTests {
    /// One raw request: its status and its JSON answer (nil for a body that is not JSON).
    static func raw(
        _ method: HTTPMethod, _ path: String, _ body: String? = nil, token: String? = nil, query: String = ""
    ) async throws -> (status: Int, json: [String: Any]?, text: String) {
        try Curl.ready()
        var headers: [(name: String, value: String)] = [("Content-Type", "application/json")]
        if let token { headers.append((name: "Authorization", value: "Bearer \(token)")) }
        let response = try await CurlTransport().send(HTTPRequest(
            method: method, url: Peer.http + path + query, headers: headers, body: body.map { Data($0.utf8) }))
        return (response.status, try? JSONSerialization.jsonObject(with: response.body) as? [String: Any],
                String(decoding: response.body, as: UTF8.self))
    }

    static func jobJSON(
        _ name: String, labels: String = "{}", podLabels: String = "{}", restartPolicy: String = "Never",
        containers: String = #"[{"name": "job", "image": "app:1"}]"#, extraSpec: String = ""
    ) -> String {
        """
        {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "\(name)", "labels": \(labels)},
         "spec": {\(extraSpec)"backoffLimit": 0, "template": {"metadata": {"labels": \(podLabels)},
                  "spec": {"restartPolicy": "\(restartPolicy)", "containers": \(containers)}}}}
        """
    }

    static func causes(_ json: [String: Any]?) -> [String] {
        ((json?["details"] as? [String: Any])?["causes"] as? [[String: Any]] ?? []).map {
            "\($0["reason"] ?? "") \($0["field"] ?? ""): \($0["message"] ?? "")"
        }
    }

    static func configure(_ namespace: String, _ settings: [String: JSONValue]) async throws {
        var body = settings
        body["namespace"] = .string(namespace)
        try await Peer.control("config", .object(body))
    }

    // MARK: 422 Invalid

    struct InvalidJob: Sendable, CustomTestStringConvertible {
        var label: String
        var body: @Sendable (String) -> String
        var cause: String
        var testDescription: String { label }
    }

    @Test(arguments: [
        InvalidJob(label: "a name that is not a DNS subdomain", body: { _ in jobJSON("Nightly_Report") },
                   cause: #"FieldValueInvalid metadata.name: Invalid value: "Nightly_Report": a lowercase RFC 1123 subdomain"#),
        InvalidJob(label: "a label value with a space", body: { jobJSON($0, labels: #"{"team": "a b"}"#) },
                   cause: #"FieldValueInvalid metadata.labels: Invalid value: "a b": a valid label must be an empty string"#),
        InvalidJob(label: "the Job controller's job-name label on the pods", body: { jobJSON($0, podLabels: #"{"job-name": "other"}"#) },
                   cause: "FieldValueInvalid spec.template.metadata.labels[job-name]: Invalid value: \"other\": must be '"),
        InvalidJob(label: "controller-uid from another Job", body: { jobJSON($0, podLabels: #"{"controller-uid": "0c1d"}"#) },
                   cause: "FieldValueInvalid spec.template.metadata.labels[controller-uid]: Invalid value: \"0c1d\": must be '"),
        InvalidJob(label: "a selector exported from another Job",
                   body: { jobJSON($0, extraSpec: #""selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": "0c1d"}}, "#) },
                   cause: "FieldValueInvalid spec.selector: Invalid value: map[matchLabels:{'batch.kubernetes.io/controller-uid': '0c1d'}]: `selector` not auto-generated"),
        InvalidJob(label: "manualSelector without a selector", body: { jobJSON($0, extraSpec: #""manualSelector": true, "#) },
                   cause: "FieldValueRequired spec.selector: Required value"),
        InvalidJob(label: "a container without an image", body: { jobJSON($0, containers: #"[{"name": "job"}]"#) },
                   cause: "FieldValueRequired spec.template.spec.containers[0].image: Required value"),
        InvalidJob(label: "restartPolicy Always", body: { jobJSON($0, restartPolicy: "Always") },
                   cause: #"FieldValueNotSupported spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never""#),
        InvalidJob(label: "a negative quantity",
                   body: { jobJSON($0, containers: #"[{"name": "job", "image": "a", "resources": {"requests": {"cpu": "-1"}}}]"#) },
                   cause: #"FieldValueInvalid spec.template.spec.containers[0].resources.requests[cpu]: Invalid value: "-1": must be greater than or equal to 0"#),
        InvalidJob(label: "a request above its limit",
                   body: { jobJSON($0, containers: #"[{"name": "job", "image": "a", "resources": {"requests": {"cpu": 2}, "limits": {"cpu": "1"}}}]"#) },
                   cause: "FieldValueInvalid spec.template.spec.containers[0].resources.requests: Invalid value: 2: must be less than or equal to cpu limit of 1"),
        InvalidJob(label: "a name too long for the job-name label", body: { _ in jobJSON(String(repeating: "a", count: 64)) },
                   cause: "FieldValueInvalid spec.template.labels: Invalid value: \"\(String(repeating: "a", count: 64))\": must be no more than 63 characters"),
    ])
    func invalidJobsAre422WithTheAPIsCauses(_ case: InvalidJob) async throws {
        let namespace = Peer.namespace("invalid")
        let answer = try await Self.raw(.post, "/apis/batch/v1/namespaces/\(namespace)/jobs", `case`.body("report"))
        #expect(answer.status == 422, "\(answer.text)")
        #expect(answer.json?["reason"] as? String == "Invalid")
        #expect((answer.json?["message"] as? String)?.contains(" is invalid: ") == true)
        #expect(Self.causes(answer.json).contains { $0.hasPrefix(`case`.cause) }, "\(Self.causes(answer.json))")
    }

    /// A quantity that does not decode is the decoder's 400, before validation; a number is a quantity.
    @Test func quantitiesAreDecodedAsTheAPIServerDecodesThem() async throws {
        let namespace = Peer.namespace("quantity")
        let words = try await Self.raw(.post, "/apis/batch/v1/namespaces/\(namespace)/jobs", Self.jobJSON(
            "words", containers: #"[{"name": "job", "image": "a", "resources": {"requests": {"cpu": "lots"}}}]"#))
        #expect(words.status == 400)
        #expect((words.json?["message"] as? String)?.contains("quantities must match the regular expression") == true)
        let number = try await Self.raw(.post, "/apis/batch/v1/namespaces/\(namespace)/jobs", Self.jobJSON(
            "number", containers: #"[{"name": "job", "image": "a", "resources": {"requests": {"cpu": 1}, "limits": {"cpu": 1}}}]"#))
        #expect(number.status == 201, "\(number.text)")
    }

    /// Every Job also passes Kubernetes' own OpenAPI schemas, strictly (PyPI kubernetes-validate):
    /// a field no version of the API has is refused.
    @Test func everyJobIsCheckedAgainstTheOpenAPISchemas() async throws {
        let answer = try await Self.raw(.post, "/apis/batch/v1/namespaces/\(Peer.namespace("schema"))/jobs",
                                        Self.jobJSON("typo", extraSpec: #""backofLimit": 3, "#))
        #expect(answer.status == 422)
        #expect((answer.json?["message"] as? String)?.contains("kubernetes-validate 1.29 (strict)") == true, "\(answer.text)")
        #expect((answer.json?["message"] as? String)?.contains("'backofLimit' was unexpected") == true)
    }

    /// A create carrying a resourceVersion (a manifest exported from a live object) is the API
    /// server's 500, which a client retries in vain.
    @Test func aResourceVersionOnCreateIsRefused() async throws {
        let answer = try await Self.raw(.post, "/api/v1/namespaces/\(Peer.namespace("rv"))/pods",
                                        #"{"metadata": {"name": "p", "resourceVersion": "48190"}}"#, token: "system:admin")
        #expect(answer.status == 500)
        #expect(answer.json?["message"] as? String == "resourceVersion should not be set on objects to be created")
    }

    /// names.SimpleNameGenerator: the prefix is cut to 58 characters, then 5 random ones.
    @Test func generateNameIsCutTo58Characters() async throws {
        let prefix = String(repeating: "a", count: 62) + "-"  // the generator draws no vowels
        let answer = try await Self.raw(.post, "/api/v1/namespaces/\(Peer.namespace("gen"))/pods",
                                        #"{"metadata": {"generateName": "\#(prefix)"}}"#, token: "system:admin")
        let name = try #require((answer.json?["metadata"] as? [String: Any])?["name"] as? String)
        #expect(name.count == 63)
        #expect(name.hasPrefix(String(prefix.prefix(58))))
        #expect(!name.dropFirst(58).contains("a"))  // five random characters, never the prefix's
    }

    // MARK: RBAC

    /// The shipped Role, as a user applies it: these are its rules, and the emulator holds every
    /// non-system caller (the daemon in all these tests) to exactly them.
    @Test func theShippedRoleListsTheLeastVerbs() throws {
        let text = try String(contentsOf: PeerEnvironment.repository.appendingPathComponent("deploy/kubernetes/rbac.yaml"), encoding: .utf8)
        for rule in [
            #"resources: ["jobs"]"# + "\n    verbs: [\"create\", \"get\", \"list\", \"watch\", \"delete\"]",
            #"resources: ["pods"]"# + "\n    verbs: [\"get\", \"list\", \"watch\", \"delete\"]",
            #"resources: ["pods/log"]"# + "\n    verbs: [\"get\"]",
            #"resources: ["events"]"# + "\n    verbs: [\"get\", \"list\"]",
            #"resources: ["leases"]"# + "\n    verbs: [\"get\", \"create\", \"update\"]",
        ] {
            #expect(text.contains(rule), "the Role lacks \(rule)")
        }
    }

    @Test func requestsOutsideTheRoleAre403WithTheAPIServersText() async throws {
        let namespace = Peer.namespace("rbac")
        let pod = try await Self.raw(.post, "/api/v1/namespaces/\(namespace)/pods", #"{"metadata": {"name": "p"}}"#, token: "daemon")
        #expect(pod.status == 403)
        #expect(pod.json?["message"] as? String
            == #"pods is forbidden: User "fargate-cron" cannot create resource "pods" in API group "" in the namespace "\#(namespace)""#)
        let patch = try await Self.raw(.patch, "/apis/batch/v1/namespaces/\(namespace)/jobs/x", "{}", token: "daemon")
        #expect(patch.status == 403)
        #expect((patch.json?["message"] as? String)?.contains(#"cannot patch resource "jobs" in API group "batch""#) == true)
        let everywhere = try await Self.raw(.get, "/apis/batch/v1/jobs", token: "daemon")
        #expect(everywhere.status == 403)
        #expect((everywhere.json?["message"] as? String)?.hasSuffix("at the cluster scope") == true)
        let secrets = try await Self.raw(.get, "/api/v1/namespaces/\(namespace)/secrets", token: "daemon")
        #expect(secrets.status == 403)
        // Inside the Role: the verbs the daemon uses.
        #expect(try await Self.raw(.get, "/apis/batch/v1/namespaces/\(namespace)/jobs", token: "daemon").status == 200)
        #expect(try await Self.raw(.get, "/api/v1/namespaces/\(namespace)/events", token: "daemon").status == 200)
        #expect(try await Self.raw(.post, "/apis/coordination.k8s.io/v1/namespaces/\(namespace)/leases",
                                   #"{"metadata": {"name": "fargate-cron"}, "spec": {}}"#, token: "daemon").status == 201)
    }

    // MARK: Logs

    /// A pod of several containers: a log request must name one ("choose one of", init containers first).
    @Test func logsOfAPodWithSeveralContainersNeedAContainer() async throws {
        let namespace = Peer.namespace("multi")
        let controller = try FargateController(namespace: namespace)
        defer { withExtendedLifetime(controller) {} }
        let client = try Peer.client()
        _ = try await Self.raw(.post, "/apis/batch/v1/namespaces/\(namespace)/jobs", Self.jobJSON(
            "multi", containers: #"[{"name": "main", "image": "a"}, {"name": "sidecar", "image": "b"}]"#))
        var podName = ""
        try #require(try await poll(within: .seconds(30)) {
            let pods = try await client.list(Pod.self, in: namespace).items
            podName = pods.first?.metadata.name ?? ""
            return pods.first?.status?.phase == "Succeeded"
        })
        let unnamed = try await Self.raw(.get, "/api/v1/namespaces/\(namespace)/pods/\(podName)/log")
        #expect(unnamed.status == 400)
        #expect(unnamed.json?["message"] as? String
            == "a container name must be specified for pod \(podName), choose one of: [main sidecar]")
        let main = try await Self.raw(.get, "/api/v1/namespaces/\(namespace)/pods/\(podName)/log", query: "?container=main")
        #expect(main.text == "line 1 of multi\nline 2 of multi\nline 3 of multi\n")
        let sidecar = try await Self.raw(.get, "/api/v1/namespaces/\(namespace)/pods/\(podName)/log", query: "?container=sidecar")
        #expect(sidecar.text == "sidecar of multi\n")
        let unknown = try await Self.raw(.get, "/api/v1/namespaces/\(namespace)/pods/\(podName)/log", query: "?container=nope")
        #expect(unknown.json?["message"] as? String == "container nope is not valid for pod \(podName)")
    }

    /// A container that has not started answers 400 "is waiting to start" (an image that cannot be
    /// pulled: "trying and failing to pull image"); a pod on no node yet, an empty log.
    @Test func logsOfAWaitingContainerAreRefused() async throws {
        let namespace = Peer.namespace("waiting")
        let admin = try Peer.admin()
        func pod(_ name: String, node: Bool, waiting: String) throws -> Pod {
            try KubernetesJSON.decoder.decode(Pod.self, from: Data("""
                {"metadata": {"name": "\(name)"}, "spec": {\(node ? #""nodeName": "fargate-ip-1","# : "")
                 "containers": [{"name": "job", "image": "a"}]},
                 "status": {"phase": "Pending", "containerStatuses": [{"name": "job", "state": {"waiting": {"reason": "\(waiting)"}}}]}}
                """.utf8))
        }
        _ = try await admin.create(try pod("creating", node: true, waiting: "ContainerCreating"), in: namespace)
        _ = try await admin.create(try pod("pulling", node: true, waiting: "ImagePullBackOff"), in: namespace)
        _ = try await admin.create(try pod("unscheduled", node: false, waiting: "ContainerCreating"), in: namespace)
        let creating = try await Self.raw(.get, "/api/v1/namespaces/\(namespace)/pods/creating/log")
        #expect(creating.status == 400)
        #expect(creating.json?["message"] as? String == #"container "job" in pod "creating" is waiting to start: ContainerCreating"#)
        let pulling = try await Self.raw(.get, "/api/v1/namespaces/\(namespace)/pods/pulling/log")
        #expect(pulling.json?["message"] as? String == #"container "job" in pod "pulling" is waiting to start: trying and failing to pull image"#)
        let unscheduled = try await Self.raw(.get, "/api/v1/namespaces/\(namespace)/pods/unscheduled/log", query: "?follow=true")
        #expect(unscheduled.status == 200 && unscheduled.text.isEmpty)
    }

    /// The kubelet: a container's log stream ends about a second before the pod's phase changes.
    @Test func theLogStreamEndsAboutASecondBeforeThePhaseChanges() async throws {
        let namespace = Peer.namespace("kubelet")
        let controller = try FargateController(namespace: namespace)
        defer { withExtendedLifetime(controller) {} }
        let client = try Peer.client()
        _ = try await client.create(sampleJob("timed"), in: namespace)
        var podName: String?
        try #require(try await poll(within: .seconds(30)) {
            let pod = try await client.list(Pod.self, in: namespace).items.first
            podName = pod?.metadata.name
            return pod?.status?.phase == "Running"
        })
        for try await _ in try await client.logs(ofPod: podName!, in: namespace, follow: true) {}
        let streamEnded = ContinuousClock.now
        #expect(try await client.get(Pod.self, named: podName!, in: namespace).status?.phase == "Running")
        try #require(try await poll(within: .seconds(15)) {
            try await client.get(Pod.self, named: podName!, in: namespace).status?.phase == "Succeeded"
        })
        let lag = ContinuousClock.now - streamEnded
        // The upper bound is loose: late in a full run the emulator answers slowly (its lower bound is the point).
        #expect(lag >= .milliseconds(700) && lag < .seconds(15), "phase changed \(lag) after the stream ended")
    }

    // MARK: Deletion

    /// A running pod is deleted gracefully: a deletionTimestamp and grace period first, then (its
    /// container ended on SIGTERM, exit 143) it goes. A finalizer holds any object until removed.
    @Test func podsAreDeletedWithAGracePeriodAndFinalizersHoldObjects() async throws {
        let namespace = Peer.namespace("grace")
        let admin = try Peer.admin()
        let client = try Peer.client()
        _ = try await admin.create(try runningPod("graceful"), in: namespace)
        let watch = try await client.watch(Pod.self, in: namespace)
        var events = watch.makeAsyncIterator()
        _ = try await events.next()  // ADDED
        try await client.delete(Pod.self, named: "graceful", in: namespace)
        guard case .modified(let marked)? = try await events.next() else { throw KubernetesError.invalidResponse("no MODIFIED") }
        #expect(marked.metadata.deletionTimestamp != nil)
        #expect(marked.decodedJSON.map { "\($0)".contains("deletionGracePeriodSeconds") } == true)
        guard case .modified(let ended)? = try await events.next() else { throw KubernetesError.invalidResponse("no MODIFIED") }
        #expect(ended.status?.phase == "Failed")
        #expect(ended.status?.containerStatuses?.first?.state?.terminated?.exitCode == 143)
        guard case .deleted? = try await events.next() else { throw KubernetesError.invalidResponse("no DELETED") }

        let held = try JSONSerialization.data(withJSONObject: [
            "metadata": ["name": "held", "finalizers": ["example.com/keep"]], "spec": ["containers": []],
        ])
        _ = try await Self.raw(.post, "/api/v1/namespaces/\(namespace)/pods", String(decoding: held, as: UTF8.self), token: "system:admin")
        try await client.delete(Pod.self, named: "held", in: namespace)
        let kept = try await client.get(Pod.self, named: "held", in: namespace)
        #expect(kept.metadata.deletionTimestamp != nil)
        let released = try await Self.raw(.patch, "/api/v1/namespaces/\(namespace)/pods/held",
                                          #"{"metadata": {"finalizers": null}}"#, token: "system:admin")
        #expect(released.status == 200, "\(released.text)")
        #expect(try await client.find(Pod.self, named: "held", in: namespace) == nil)
    }

    // MARK: Watches

    /// BOOKMARK events come about every 60 s (a namespace's tests may ask for more often).
    @Test func bookmarksComeAboutEveryMinute() async throws {
        let often = Peer.namespace("bookmarks")
        try await Self.configure(often, ["bookmarkInterval": .double(0.5)])
        let quick = try await Self.raw(.get, "/apis/batch/v1/namespaces/\(often)/jobs",
                                       query: "?watch=true&allowWatchBookmarks=true&timeoutSeconds=2")
        #expect(quick.text.contains(#""type": "BOOKMARK""#))
        let usual = try await Self.raw(.get, "/apis/batch/v1/namespaces/\(Peer.namespace("minute"))/jobs",
                                       query: "?watch=true&allowWatchBookmarks=true&timeoutSeconds=2")
        #expect(usual.status == 200 && !usual.text.contains("BOOKMARK"))
    }

    // MARK: Events and placement

    struct Refusal: Sendable, CustomTestStringConvertible {
        var label: String
        var settings: [String: JSONValue]
        var podSpec: String
        var message: String
        var testDescription: String { label }
    }

    /// The Job controller cannot create the pod: a `FailedCreate` Event on the Job, in its words.
    @Test(arguments: [
        Refusal(label: "a pod quota", settings: ["podQuota": .integer(0)], podSpec: "",
                message: "exceeded quota: compute, requested: pods=1, used: pods=0, limited: pods=0"),
        Refusal(label: "Pod Security restricted", settings: ["podSecurity": .string("restricted")], podSpec: "",
                message: #"violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false"#),
        Refusal(label: "a missing service account", settings: [:], podSpec: #""serviceAccountName": "reporter", "#,
                message: #"error looking up service account NS/reporter: serviceaccount "reporter" not found"#),
    ])
    func theJobControllerRecordsFailedCreate(_ refusal: Refusal) async throws {
        let namespace = Peer.namespace("failedcreate")
        try await Self.configure(namespace, refusal.settings)
        let controller = try FargateController(namespace: namespace)
        defer { withExtendedLifetime(controller) {} }
        let client = try Peer.client()
        let job = Self.jobJSON("refused").replacingOccurrences(of: #""spec": {"restartPolicy""#, with: #""spec": {\#(refusal.podSpec)"restartPolicy""#)
        #expect(try await Self.raw(.post, "/apis/batch/v1/namespaces/\(namespace)/jobs", job).status == 201)
        var events: [Event] = []
        #expect(try await poll(within: .seconds(30)) {
            events = try await client.events(about: "refused", kind: "Job", in: namespace)
            return !events.isEmpty
        })
        #expect(events.first?.reason == "FailedCreate")
        #expect(events.first?.type == "Warning")
        let message = refusal.message.replacingOccurrences(of: "NS/", with: "\(namespace)/")
        #expect(events.first?.message?.hasPrefix("Error creating: pods \"refused-") == true)
        #expect(events.first?.message?.contains(message) == true, "\(events.first?.message ?? "")")
        #expect(try await client.list(Pod.self, in: namespace).items.isEmpty)
    }

    /// `CapacityProvisioned` only where a Fargate profile matches (namespace and labels); otherwise an
    /// EC2 node if there is one, or Pending with the scheduler's `FailedScheduling`.
    @Test func fargatePlacesOnlyPodsItsProfilesMatch() async throws {
        let namespace = Peer.namespace("profiles")
        try await Self.configure(namespace, ["fargateProfiles": .array([.object([
            "name": .string("batch"),
            "selectors": .array([.object(["namespace": .string("profiles-*"), "labels": .object(["compute": .string("fargate")])])]),
        ])])])
        let controller = try FargateController(namespace: namespace)
        defer { withExtendedLifetime(controller) {} }
        let client = try Peer.client()
        _ = try await Self.raw(.post, "/apis/batch/v1/namespaces/\(namespace)/jobs",
                               Self.jobJSON("on-fargate", podLabels: #"{"compute": "fargate"}"#))
        _ = try await Self.raw(.post, "/apis/batch/v1/namespaces/\(namespace)/jobs", Self.jobJSON("nowhere"))
        var fargate: Pod?
        var stuck: Pod?
        #expect(try await poll(within: .seconds(30)) {
            let pods = try await client.list(Pod.self, in: namespace).items
            fargate = pods.first { $0.metadata.labels?["job-name"] == "on-fargate" }
            stuck = pods.first { $0.metadata.labels?["job-name"] == "nowhere" }
            let events = try await client.events(aboutPodsOfJob: "nowhere", in: namespace)
            return fargate?.status?.phase == "Succeeded" && events.contains { $0.reason == "FailedScheduling" }
        })
        #expect(fargate?.metadata.annotations?["CapacityProvisioned"] == "0.25vCPU 0.5GB")
        #expect(fargate?.metadata.labels?["eks.amazonaws.com/fargate-profile"] == "batch")
        #expect(stuck?.status?.phase == "Pending")
        #expect(stuck?.metadata.annotations?["CapacityProvisioned"] == nil)
        // The scheduler records through events.k8s.io/v1: read as core/v1, only eventTime is set.
        let scheduling = try await client.events(aboutPodsOfJob: "nowhere", in: namespace).first { $0.reason == "FailedScheduling" }
        #expect(scheduling?.eventTime != nil && scheduling?.lastTimestamp == nil && scheduling?.firstTimestamp == nil)
        #expect(scheduling?.source?.component == nil)

        let withNodes = Peer.namespace("ec2")
        try await Self.configure(withNodes, ["fargateProfiles": .array([]), "ec2Nodes": .integer(2)])
        let second = try FargateController(namespace: withNodes)
        defer { withExtendedLifetime(second) {} }
        _ = try await Self.raw(.post, "/apis/batch/v1/namespaces/\(withNodes)/jobs", Self.jobJSON("on-ec2"))
        var ec2: Pod?
        #expect(try await poll(within: .seconds(30)) {
            ec2 = try await client.list(Pod.self, in: withNodes).items.first
            return ec2?.status?.phase == "Succeeded"
        })
        #expect(ec2?.metadata.annotations?["CapacityProvisioned"] == nil)
        #expect(ec2?.decodedJSON.map { "\($0)".contains("ip-10-0-") && !"\($0)".contains("fargate-ip-") } == true)
    }

    /// An image the test marks unpullable: `ErrImagePull`, then `ImagePullBackOff`, with the kubelet's Events.
    @Test func anUnpullableImageWaitsWithTheKubeletsReasons() async throws {
        let namespace = Peer.namespace("pull")
        try await Self.configure(namespace, ["unpullableImages": .array([.string("app:missing")])])
        let controller = try FargateController(namespace: namespace)
        defer { withExtendedLifetime(controller) {} }
        let client = try Peer.client()
        _ = try await Self.raw(.post, "/apis/batch/v1/namespaces/\(namespace)/jobs",
                               Self.jobJSON("pull", containers: #"[{"name": "job", "image": "app:missing"}]"#))
        var reasons: [String] = []
        #expect(try await poll(within: .seconds(30)) {
            let pod = try await client.list(Pod.self, in: namespace).items.first
            if let reason = pod?.status?.containerStatuses?.first?.state?.waiting?.reason, reasons.last != reason {
                reasons.append(reason)
            }
            return reasons.last == "ImagePullBackOff"
        })
        #expect(reasons.allSatisfy { ["ContainerCreating", "ErrImagePull", "ImagePullBackOff"].contains($0) }, "\(reasons)")
        let events = try await client.events(aboutPodsOfJob: "pull", in: namespace)
        #expect(events.contains { $0.reason == "Failed" && $0.message == "Error: ErrImagePull" })
        #expect(events.contains { $0.reason == "Failed" && $0.message?.contains(#"Failed to pull image "app:missing""#) == true })
        #expect(events.contains { $0.reason == "BackOff" && $0.message == #"Back-off pulling image "app:missing""# })
        // The kubelet keeps retrying; its recorder aggregates each repeat into the Event it made.
        var backOffs: [Event] = []
        #expect(try await poll(within: .seconds(20)) {
            backOffs = try await client.events(aboutPodsOfJob: "pull", in: namespace).filter { $0.reason == "BackOff" }
            return backOffs.first.map { ($0.count ?? 0) >= 2 } ?? false
        })
        #expect(backOffs.count == 1, "one Event, its count grown: \(backOffs.map { ($0.count ?? 0, $0.lastTimestamp as Any) })")
        #expect((backOffs.first?.lastTimestamp ?? .distantPast) > (backOffs.first?.firstTimestamp ?? .distantFuture))
    }

    /// A field selector on a field the resource cannot be selected by is refused with 400, as the
    /// API server's field label conversion refuses it; the ones the daemon uses are answered.
    @Test func fieldSelectorsAreLimitedToTheResourcesFields() async throws {
        let namespace = Peer.namespace("fields")
        let client = try Peer.client()
        do {
            _ = try await client.list(Event.self, in: namespace, fieldSelector: "involvedObject.labels=x")
            Issue.record("an unsupported field was answered")
        } catch {
            guard case .api(let status, _, let message) = error else { throw error }
            #expect(status == 400)
            #expect(message.contains("field label not supported: involvedObject.labels"), "\(message)")
        }
        let events = try await client.list(Event.self, in: namespace, fieldSelector: "involvedObject.name=x,involvedObject.kind=Job")
        #expect(events.items.isEmpty)
    }
}
