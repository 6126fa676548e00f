import Foundation
import Kubernetes
import Synchronization
import Testing

/// The last gate: a client that changes nothing in the cluster while its host does not lead.
@Suite(.enabled(if: Emulator.isRunning, "needs the Kubernetes emulator peer (scripts/test starts it)"))
struct LeaderOnlyClientTests {
    @Test func changingRequestsWaitForLeadershipAndReadsDoNot() async throws {
        let namespace = Emulator.unique("ha-gate")
        let token = "gate-\(namespace)"
        let leading = Atomic<Bool>(false)
        let client = try Emulator.client(token: token).leaderOnly(lease: "\(namespace)/fargate-cron") {
            leading.load(ordering: .relaxed)
        }
        let job = Job(
            metadata: ObjectMeta(name: "report-1", labels: ["app.kubernetes.io/managed-by": "fargate-cron"]),
            spec: JobSpec(
                template: PodTemplateSpec(spec: PodSpec(
                    containers: [Container(name: "job", image: "busybox:1.36", command: ["/bin/sh", "-c", "true"])],
                    restartPolicy: "Never")),
                backoffLimit: 0))

        let refused = await #expect(throws: KubernetesError.self) { try await client.create(job, in: namespace) }
        #expect("\(refused.map { "\($0)" } ?? "")".contains("does not hold the Lease \(namespace)/fargate-cron"))
        #expect(try await client.list(Job.self, in: namespace).items.isEmpty, "reads go through, and nothing was made")

        leading.store(true, ordering: .relaxed)
        let made = try await client.create(job, in: namespace)
        leading.store(false, ordering: .relaxed)
        await #expect(throws: KubernetesError.self) {
            try await client.delete(Job.self, named: "report-1", in: namespace, uid: made.metadata.uid)
        }
        #expect(try await client.find(Job.self, named: "report-1", in: namespace) != nil, "a standby deletes nothing")
        let verbs = try await Emulator.requests().filter { $0.client == token }
        #expect(verbs.filter { $0.verb == "create" }.map(\.count) == [1], "the refused create never reached the server: \(verbs)")
        #expect(!verbs.contains { $0.verb == "delete" })
    }
}
