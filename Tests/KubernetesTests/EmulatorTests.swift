import HTTP
import Foundation
import TestSupport
import Testing

@testable import Kubernetes

/// Real HTTP over libcurl to the kmock-based API server that scripts/peers/kmock.sh starts.
@Suite(.enabled(if: Peer.isRunning, "needs the Kubernetes emulator peer (scripts/test starts it)"))
struct EmulatorTests {
    @Test func createGetListDeleteAJob() async throws {
        let client = try Peer.client()
        let namespace = Peer.namespace("crud")
        let created = try await client.create(sampleJob("nightly-1", labels: ["fargate-cron/job": "nightly"]), in: namespace)
        #expect(created.metadata.uid?.isEmpty == false)
        #expect(created.metadata.resourceVersion != nil)
        #expect(created.metadata.creationTimestamp != nil)
        _ = try await client.create(sampleJob("other-1", labels: ["fargate-cron/job": "other"]), in: namespace)

        let fetched = try await client.get(Job.self, named: "nightly-1", in: namespace)
        #expect(fetched.metadata.uid == created.metadata.uid)
        #expect(fetched.spec?.template.spec?.containers.first?.image == "busybox:1.36")

        let nightly = try await client.list(Job.self, in: namespace, labelSelector: "fargate-cron/job=nightly")
        #expect(nightly.items.map(\.metadata.name) == ["nightly-1"])
        #expect(nightly.metadata.resourceVersion != nil)

        try await client.delete(Job.self, named: "nightly-1", in: namespace, uid: created.metadata.uid)
        #expect(try await client.find(Job.self, named: "nightly-1", in: namespace) == nil)
    }

    @Test func secondCreateOfANameIsAlreadyExists() async throws {
        let client = try Peer.client()
        let namespace = Peer.namespace("exists")
        _ = try await client.create(sampleJob("once"), in: namespace)
        let error = await #expect(throws: KubernetesError.self) {
            try await client.create(sampleJob("once"), in: namespace)
        }
        #expect(error?.isAlreadyExists == true)
    }

    @Test func deleteWithAStaleUidIsRefused() async throws {
        let client = try Peer.client()
        let namespace = Peer.namespace("uid")
        _ = try await client.create(sampleJob("keep"), in: namespace)
        let error = await #expect(throws: KubernetesError.self) {
            try await client.delete(Job.self, named: "keep", in: namespace, uid: "not-the-uid")
        }
        #expect(error?.isConflict == true)
        #expect(try await client.find(Job.self, named: "keep", in: namespace) != nil)
    }

    @Test func deletingAJobInBackgroundDeletesItsPods() async throws {
        let client = try Peer.client()
        let namespace = Peer.namespace("cascade")
        let job = try await client.create(sampleJob("with-pod"), in: namespace)
        var pod = Pod(metadata: ObjectMeta(name: "with-pod-abcde", labels: ["job-name": "with-pod"]))
        pod.metadata.ownerReferences = [OwnerReference(
            apiVersion: "batch/v1", kind: "Job", name: "with-pod", uid: job.metadata.uid!, controller: true)]
        _ = try await Peer.admin().create(pod, in: namespace)  // the Job controller's part
        try await client.delete(Job.self, named: "with-pod", in: namespace, uid: job.metadata.uid, propagation: .background)
        #expect(try await client.list(Pod.self, in: namespace).items.isEmpty)
    }

    @Test func podsAreListedBySelectorReadAndDeleted() async throws {
        let client = try Peer.client()
        let namespace = Peer.namespace("pods")
        let admin = try Peer.admin()  // the Job controller's part
        let mine = try await admin.create(
            Pod(metadata: ObjectMeta(name: "run-1-abcde", labels: ["job-name": "run-1"])), in: namespace)
        _ = try await admin.create(Pod(metadata: ObjectMeta(name: "run-2-fghij", labels: ["job-name": "run-2"])), in: namespace)
        let listed = try await client.list(Pod.self, in: namespace, labelSelector: "job-name=run-1")
        #expect(listed.items.map(\.metadata.name) == ["run-1-abcde"])
        #expect(try await client.get(Pod.self, named: "run-1-abcde", in: namespace).metadata.uid == mine.metadata.uid)
        try await client.delete(Pod.self, named: "run-1-abcde", in: namespace, uid: mine.metadata.uid)
        #expect(try await client.find(Pod.self, named: "run-1-abcde", in: namespace) == nil)
        #expect(try await client.list(Pod.self, in: namespace).items.map(\.metadata.name) == ["run-2-fghij"])
    }

    @Test func leaseUpdateNeedsTheCurrentResourceVersion() async throws {
        let client = try Peer.client()
        let namespace = Peer.namespace("lease")
        let instant = MicroTime(Date(timeIntervalSince1970: 1_772_955_015.123456))
        let lease = try await client.create(
            Lease(metadata: ObjectMeta(name: "fargate-cron"),
                  spec: LeaseSpec(holderIdentity: "host-a", leaseDurationSeconds: 15, acquireTime: instant, renewTime: instant)),
            in: namespace)
        var renewed = lease
        renewed.spec?.holderIdentity = "host-b"
        let updated = try await client.replace(renewed, in: namespace)
        #expect(updated.spec?.holderIdentity == "host-b")
        #expect(updated.metadata.resourceVersion != lease.metadata.resourceVersion)

        var stale = lease  // still carries the first resourceVersion
        stale.spec?.holderIdentity = "host-c"
        let error = await #expect(throws: KubernetesError.self) { try await client.replace(stale, in: namespace) }
        #expect(error?.isConflict == true)
        #expect(try await client.get(Lease.self, named: "fargate-cron", in: namespace).spec?.holderIdentity == "host-b")
    }

    @Test func forbiddenNamesTheIdentityTheVerbAndTheResource() async throws {
        let client = try Peer.client(token: "forbid-403")
        let error = await #expect(throws: KubernetesError.self) {
            try await client.create(sampleJob("denied"), in: "batch")
        }
        guard case .forbidden(let identity, let verb, let resource, let message)? = error else {
            Issue.record("expected forbidden, got \(String(describing: error))")
            return
        }
        #expect(identity == "test user \"tester\"")
        #expect(verb == "create")
        #expect(resource == "jobs.batch \"denied\" in namespace \"batch\"")
        #expect(message.contains("cannot create resource \"jobs\""))
        #expect(!"\(error!)".contains("forbid-403"))  // the token never shows
    }

    @Test func unauthorizedAfterARefreshSaysWhoAndWhat() async throws {
        let client = try Peer.client(token: "reject-401")
        let error = await #expect(throws: KubernetesError.self) {
            try await client.list(Job.self, in: "batch")
        }
        #expect("\(error!)".contains("list jobs.batch in namespace \"batch\""))
        #expect("\(error!)".contains("test user \"tester\""))
        #expect(!"\(error!)".contains("reject-401"))
    }

    @Test func followedLogsArriveLineByLineBeforeTheStreamEnds() async throws {
        let client = try Peer.client()
        let namespace = Peer.namespace("logs")
        _ = try await Peer.admin().create(try runningPod("talker"), in: namespace)  // the Job controller's and kubelet's part
        try await Peer.control("logs/\(namespace)/talker", .object(["lines": .array([
            .object(["time": .string("2026-03-08T03:00:01.000000Z"), "text": .string("first")]),
            .object(["time": .string("2026-03-08T03:00:02.000000Z"), "text": .string("second")]),
        ])]))
        let lines = try await client.logs(ofPod: "talker", in: namespace, follow: true, timestamps: true)
        var iterator = lines.makeAsyncIterator()
        let first = try await iterator.next()
        let second = try await iterator.next()
        #expect(first == LogLine(timestamp: RFC3339.parse("2026-03-08T03:00:01Z"), text: "first"))
        #expect(second?.text == "second")
        // The stream is still open: a line written now arrives on it, then the end.
        try await Peer.control("logs/\(namespace)/talker", .object([
            "lines": .array([.object(["time": .string("2026-03-08T03:00:03.000000Z"), "text": .string("third")])]),
            "close": .bool(true),
        ]))
        #expect(try await iterator.next()?.text == "third")
        #expect(try await iterator.next() == nil)

        let later = try await client.logs(
            ofPod: "talker", in: namespace, since: RFC3339.parse("2026-03-08T03:00:02Z"))
        var texts: [String] = []
        for try await line in later { texts.append(line.text) }
        #expect(texts == ["second", "third"])
    }

    @Test func eventsAboutAJobsPodsComeByFieldSelector() async throws {
        let client = try Peer.client()
        let namespace = Peer.namespace("events")
        let admin = try Peer.admin()  // the Job controller's and the kubelet's part
        _ = try await admin.create(Pod(metadata: ObjectMeta(name: "report-1-abcde", labels: ["job-name": "report-1"])), in: namespace)
        _ = try await admin.create(Pod(metadata: ObjectMeta(name: "other-1-fghij", labels: ["job-name": "other-1"])), in: namespace)
        let fixture = try KubernetesJSON.decoder.decode(ObjectList<Event>.self, from: Fixture.data("events.json"))
        for (index, podName) in ["report-1-abcde", "other-1-fghij"].enumerated() {
            var event = fixture.items[index]
            event.metadata = ObjectMeta(name: "\(podName).\(index)")
            event.involvedObject.name = podName
            event.involvedObject.namespace = namespace
            _ = try await admin.create(event, in: namespace)
        }
        let events = try await client.events(aboutPodsOfJob: "report-1", in: namespace)
        #expect(events.map(\.involvedObject.name) == ["report-1-abcde"])
        #expect(events.first?.reason == "LoggingDisabled")
    }

    @Test func watcherSeesChangesAndRelistsAfterExpiry() async throws {
        let client = try Peer.client()
        let namespace = Peer.namespace("watch")
        _ = try await client.create(sampleJob("before"), in: namespace)
        let watcher = Watcher<Job>(client: client, namespace: namespace)
        var events = watcher.makeAsyncIterator()
        guard case .added(let before)? = try await events.next() else { throw KubernetesError.invalidResponse("no ADDED") }
        #expect(before.metadata.name == "before")

        _ = try await client.create(sampleJob("during"), in: namespace)
        guard case .added(let during)? = try await events.next() else { throw KubernetesError.invalidResponse("no ADDED") }
        #expect(during.metadata.name == "during")

        try await client.delete(Job.self, named: "before", in: namespace)
        guard case .deleted(let gone)? = try await events.next() else { throw KubernetesError.invalidResponse("no DELETED") }
        #expect(gone.metadata.name == "before")
    }
}

/// TLS to the emulator's HTTPS port: verified against the test CA, refused with any other.
@Suite(.enabled(if: Peer.isRunning, "needs the Kubernetes emulator peer (scripts/test starts it)"))
struct TLSTests {
    @Test func httpsWithTheClusterCAWorks() async throws {
        try Curl.ready()
        let transport = CurlTransport(configuration: .init(tls: TLSConfiguration(certificateAuthority: try Peer.caPEM())))
        let client = KubeClient(server: Peer.https, transport: transport, credentials: NoCredentials())
        let namespace = Peer.namespace("tls")
        let created = try await client.create(sampleJob("secure"), in: namespace)
        #expect(try await client.get(Job.self, named: "secure", in: namespace).metadata.uid == created.metadata.uid)
    }

    @Test func httpsWithAnotherCAIsRefused() async throws {
        try Curl.ready()
        let transport = CurlTransport(configuration: .init(tls: TLSConfiguration(certificateAuthority: try Peer.wrongCAPEM())))
        let client = KubeClient(server: Peer.https, transport: transport, credentials: NoCredentials())
        let error = await #expect(throws: KubernetesError.self) {
            try await client.list(Job.self, in: "default")
        }
        guard case .transport(let curl, _)? = error else {
            Issue.record("expected a transport error, got \(String(describing: error))")
            return
        }
        #expect(curl.isTLSFailure)
        #expect("\(error!)".contains("TLS failed"))
    }

    @Test func httpsWithTheSystemTrustStoreIsRefused() async throws {
        try Curl.ready()
        let client = KubeClient(server: Peer.https, transport: CurlTransport(), credentials: NoCredentials())
        let error = await #expect(throws: KubernetesError.self) { try await client.list(Job.self, in: "default") }
        if case .transport(let curl, _)? = error { #expect(curl.isTLSFailure) } else { Issue.record("\(String(describing: error))") }
    }
}
