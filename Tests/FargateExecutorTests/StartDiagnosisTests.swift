import Foundation
import Kubernetes
import Testing

@testable import FargateExecutor

/// Why a run cannot start, read from the Job's and the pod's Events and the pod's statuses, in the
/// words Kubernetes uses (the emulator's and the Fargate controller's texts are copied from a real
/// API server's, kubelet's and scheduler's); and how long each cause may last before the run fails.
struct StartDiagnosisTests {
    typealias Box = ClusterJSON.Box
    static let jobName = "nightly-report-29406750"

    /// An Event of the Job controller on the run's Job.
    static func failedCreate(_ message: String, at stamp: String = "2026-11-29T06:30:02Z") throws -> Event {
        try ClusterJSON.event(
            about: jobName, kind: "Job", uid: "uid-nightly-report-29406750", reason: "FailedCreate",
            message: "Error creating: \(message)", at: stamp, source: "job-controller")
    }

    struct Case: CustomTestStringConvertible, Sendable {
        var label: String
        var pods: [Pod] = []
        var events: [Event] = []
        var expected: [StartBlocker]
        var testDescription: String { label }
    }

    static let podName = "report-29406750-x7k2p"
    static let job = "Job batch/nightly-report-29406750, FailedCreate"
    static let pullDetail =
        #"rpc error: code = NotFound desc = failed to pull and unpack image "app:missing": failed to resolve reference "app:missing": app:missing: not found"#

    static func cases() throws -> [Case] {
        [
            Case(label: "Pod Security admission", events: [try failedCreate(
                #"pods "report-29406750-" is forbidden: violates PodSecurity "restricted:latest": runAsNonRoot != true (container "job" must set securityContext.runAsNonRoot=true)"#)],
                 expected: [StartBlocker(.admissionRefused, location: job, message:
                    #"Error creating: pods "report-29406750-" is forbidden: violates PodSecurity "restricted:latest": runAsNonRoot != true (container "job" must set securityContext.runAsNonRoot=true)"#)]),
            Case(label: "an admission webhook", events: [try failedCreate(
                #"admission webhook "validate.kyverno.svc" denied the request: images must come from ECR"#)],
                 expected: [StartBlocker(.admissionRefused, location: job, message:
                    #"Error creating: admission webhook "validate.kyverno.svc" denied the request: images must come from ECR"#)]),
            Case(label: "a ResourceQuota", events: [try failedCreate(
                #"pods "report-29406750-" is forbidden: exceeded quota: compute, requested: pods=1, used: pods=2, limited: pods=2"#)],
                 expected: [StartBlocker(.quotaExceeded, location: job, message:
                    #"Error creating: pods "report-29406750-" is forbidden: exceeded quota: compute, requested: pods=1, used: pods=2, limited: pods=2"#)]),
            Case(label: "a missing service account", events: [try failedCreate(
                #"pods "report-29406750-" is forbidden: error looking up service account batch/reporter: serviceaccount "reporter" not found"#)],
                 expected: [StartBlocker(.serviceAccountMissing, location: job, message:
                    #"Error creating: pods "report-29406750-" is forbidden: error looking up service account batch/reporter: serviceaccount "reporter" not found"#)]),
            Case(label: "a LimitRange: another refusal", events: [try failedCreate(
                #"pods "report-29406750-" is forbidden: maximum cpu usage per Container is 1, but limit is 2"#)],
                 expected: [StartBlocker(.podRefused, location: job, message:
                    #"Error creating: pods "report-29406750-" is forbidden: maximum cpu usage per Container is 1, but limit is 2"#)]),
            Case(label: "an image that cannot be pulled: the kubelet's last Failed Event says why",
                 pods: [try ClusterJSON.pod(
                    containers: [Box(name: "main", image: "app:missing", state: ClusterJSON.waiting("ImagePullBackOff", #"Back-off pulling image "app:missing""#))],
                    node: "fargate-ip-10-0-1-23.compute.internal", scheduler: "fargate-scheduler")],
                 events: [
                    try ClusterJSON.event(about: podName, reason: "Failed", message: #"Failed to pull image "app:missing": \#(pullDetail)"#),
                    try ClusterJSON.event(about: podName, reason: "Failed", message: "Error: ErrImagePull"),
                 ],
                 expected: [StartBlocker(.imagePull, location: "pod \(podName), container main (image app:missing)",
                                         message: #"ImagePullBackOff: Failed to pull image "app:missing": \#(pullDetail)"#)]),
            Case(label: "an init container's image, without Events",
                 pods: [try ClusterJSON.pod(
                    initContainers: [Box(name: "migrate", image: "tools:gone", state: ClusterJSON.waiting("ErrImagePull", "not found"))],
                    containers: [Box(name: "main", state: ClusterJSON.waiting("PodInitializing"))],
                    node: "fargate-ip-10-0-1-23.compute.internal")],
                 expected: [StartBlocker(.imagePull, location: "pod \(podName), init container migrate (image tools:gone)",
                                         message: "ErrImagePull: not found")]),
            Case(label: "an invalid image reference",
                 pods: [try ClusterJSON.pod(
                    containers: [Box(name: "main", image: "App:Latest", state: ClusterJSON.waiting("InvalidImageName", #"Failed to apply default image tag "App:Latest""#))],
                    node: "fargate-ip-10-0-1-23.compute.internal")],
                 expected: [StartBlocker(.invalidImage, location: "pod \(podName), container main (image App:Latest)",
                                         message: #"InvalidImageName: Failed to apply default image tag "App:Latest""#)]),
            Case(label: "a missing Secret",
                 pods: [try ClusterJSON.pod(
                    containers: [Box(name: "main", state: ClusterJSON.waiting("CreateContainerConfigError", #"secret "db" not found"#))],
                    node: "fargate-ip-10-0-1-23.compute.internal")],
                 expected: [StartBlocker(.containerConfig, location: "pod \(podName), container main (image app:1)",
                                         message: #"CreateContainerConfigError: secret "db" not found"#)]),
            Case(label: "unschedulable: no Fargate profile matched and no node fits",
                 pods: [try ClusterJSON.pod(
                    containers: [Box(name: "main")], scheduler: "default-scheduler",
                    conditions: [ClusterJSON.unschedulable("0/0 nodes are available: no nodes available to schedule pods.")])],
                 events: [try ClusterJSON.event(
                    about: podName, reason: "FailedScheduling", message: "0/0 nodes are available: no nodes available to schedule pods.",
                    source: "default-scheduler")],
                 expected: [StartBlocker(.unschedulable, location: "pod \(podName), FailedScheduling",
                                         message: "0/0 nodes are available: no nodes available to schedule pods.")]),
            Case(label: "unschedulable from the Event alone",
                 pods: [try ClusterJSON.pod(containers: [Box(name: "main")])],
                 events: [try ClusterJSON.event(
                    about: podName, reason: "FailedScheduling", message: "0/3 nodes are available: 3 Insufficient cpu.",
                    source: "default-scheduler")],
                 expected: [StartBlocker(.unschedulable, location: "pod \(podName), FailedScheduling",
                                         message: "0/3 nodes are available: 3 Insufficient cpu.")]),
            // Nothing to say:
            Case(label: "Fargate's own scheduler retries itself",
                 pods: [try ClusterJSON.pod(
                    containers: [Box(name: "main")], scheduler: "fargate-scheduler",
                    conditions: [ClusterJSON.unschedulable("Pod provisioning timed out (will retry) for pod")])],
                 expected: []),
            Case(label: "an autoscaler is adding a node",
                 pods: [try ClusterJSON.pod(
                    containers: [Box(name: "main")], conditions: [ClusterJSON.unschedulable("0/1 nodes are available")])],
                 events: [try ClusterJSON.event(
                    about: podName, reason: "TriggeredScaleUp", message: "pod triggered scale-up", type: "Normal",
                    source: "cluster-autoscaler")],
                 expected: []),
            Case(label: "images being pulled",
                 pods: [try ClusterJSON.pod(containers: [Box(name: "main", state: ClusterJSON.waiting("ContainerCreating"))],
                                            node: "fargate-ip-10-0-1-23.compute.internal")],
                 expected: []),
            Case(label: "a running pod", pods: [try ClusterJSON.pod(
                phase: "Running", containers: [Box(name: "main", state: ClusterJSON.running)], node: "fargate-ip-1")],
                 expected: []),
            Case(label: "an old refusal, before the pod that was then created",
                 pods: [try ClusterJSON.pod(created: "2026-11-29T06:30:20Z", containers: [Box(name: "main")], node: "fargate-ip-1")],
                 events: [try failedCreate("pods is forbidden: exceeded quota: compute", at: "2026-11-29T06:30:03Z")],
                 expected: []),
            Case(label: "a refusal after the last pod failed (a retry cannot be made)",
                 pods: [try ClusterJSON.pod(
                    created: "2026-11-29T06:30:01Z", phase: "Failed", containers: [Box(name: "main", state: ClusterJSON.terminated(1))],
                    node: "fargate-ip-1")],
                 events: [
                    try failedCreate("pods is forbidden: exceeded quota: compute", at: "2026-11-29T06:29:59Z"),
                    try failedCreate(#"pods "x" is forbidden: exceeded quota: compute, used: pods=2"#, at: "2026-11-29T06:31:00Z"),
                 ],
                 expected: [StartBlocker(.quotaExceeded, location: job,
                                         message: #"Error creating: pods "x" is forbidden: exceeded quota: compute, used: pods=2"#)]),
            Case(label: "another Job's refusal", events: [try ClusterJSON.event(
                about: "other-1", kind: "Job", reason: "FailedCreate", message: "Error creating: exceeded quota", source: "job-controller")],
                 expected: []),
        ]
    }

    @Test func eachCauseIsNamedWhereTheClusterSaidIt() throws {
        for c in try Self.cases() {
            let blockers = StartDiagnosis.blockers(job: try Fixture.job("job-active.json"), pods: c.pods, events: c.events)
            #expect(blockers == c.expected, "\(c.label)")
        }
    }

    /// The default scheduler records through events.k8s.io/v1: read as core/v1, its Event has only
    /// `eventTime` (microseconds), null first/lastTimestamp and an empty `source`, as a real API
    /// server returns it (and as the emulator's controller now records it).
    @Test func aSchedulerEventRecordedThroughEventsV1IsRead() throws {
        let object: [String: Any] = [
            "apiVersion": "v1", "kind": "Event", "metadata": ["name": "\(Self.podName).17e0", "namespace": "batch"],
            "involvedObject": ["apiVersion": "v1", "kind": "Pod", "name": Self.podName, "namespace": "batch", "uid": "uid-\(Self.podName)"],
            "reason": "FailedScheduling", "type": "Warning", "action": "Scheduling",
            "message": "0/2 nodes are available: 2 node(s) had untolerated taint {node.kubernetes.io/not-ready: }.",
            "eventTime": "2026-11-29T06:30:02.123456Z", "firstTimestamp": NSNull(), "lastTimestamp": NSNull(),
            "reportingComponent": "default-scheduler", "reportingInstance": "default-scheduler-ip-10-0-1-1", "source": [:] as [String: Any],
        ]
        let event = try KubernetesJSON.decoder.decode(Event.self, from: JSONSerialization.data(withJSONObject: object))
        #expect(event.eventTime == instant("2026-11-29T06:30:02.123456Z") && event.lastTimestamp == nil)
        let pod = try ClusterJSON.pod(containers: [Box(name: "main", image: "app:1", state: ClusterJSON.waiting("ContainerCreating", nil))])
        let blockers = StartDiagnosis.blockers(job: try Fixture.job("job-active.json"), pods: [pod], events: [event])
        #expect(blockers == [StartBlocker(.unschedulable, location: "pod \(Self.podName), FailedScheduling", message: event.message ?? "")])
    }

    @Test func aFinishedJobHasNoBlocker() throws {
        let events = [try Self.failedCreate("pods is forbidden: exceeded quota: compute")]
        #expect(StartDiagnosis.blockers(job: try Fixture.job("job-complete.json"), pods: [], events: events).isEmpty)
    }

    static let t0 = instant("2026-11-29T06:30:05Z")

    /// Each cause fails the run once it has lasted its bound, counted from the first sighting:
    /// at once for what never mends by itself, later for what may.
    @Test(arguments: [
        (StartBlocker.Cause.admissionRefused, 0), (.invalidImage, 0), (.serviceAccountMissing, 30), (.quotaExceeded, 60),
        (.podRefused, 60), (.imagePull, 60), (.containerConfig, 60), (.unschedulable, 60),
    ])
    func theDefaultBounds(_ cause: StartBlocker.Cause, _ seconds: Int) {
        var watch = StartWatch()
        let blocker = StartBlocker(cause, location: "pod p, container main", message: "m")
        let first = watch.update([blocker], at: Self.t0)
        #expect(first.new == [blocker])
        if seconds == 0 {
            #expect(first.failure?.blocker == blocker)
            #expect(first.failure?.reason == "cannot start: \(cause.summary) (pod p, container main): m")
            return
        }
        #expect(first.failure == nil)
        #expect(watch.nextDeadline() == Self.t0.addingTimeInterval(Double(seconds)))
        let before = watch.update([blocker], at: Self.t0.addingTimeInterval(Double(seconds) - 0.5))
        #expect(before.failure == nil && before.new.isEmpty)
        let after = watch.update([blocker], at: Self.t0.addingTimeInterval(Double(seconds)))
        #expect(after.failure?.reason == "cannot start: \(cause.summary) (pod p, container main) for \(seconds) s: m")
    }

    /// A cause must persist for its whole bound: one that clears and comes back counts afresh.
    @Test func aClearedCauseCountsAfresh() {
        var watch = StartWatch()
        let pull = StartBlocker(.imagePull, location: "pod p, container main (image a)", message: "ErrImagePull: x")
        _ = watch.update([pull], at: Self.t0)
        _ = watch.update([], at: Self.t0.addingTimeInterval(40))
        let back = watch.update([pull], at: Self.t0.addingTimeInterval(50))
        #expect(back.new == [pull] && back.failure == nil)
        #expect(watch.update([pull], at: Self.t0.addingTimeInterval(100)).failure == nil)
        #expect(watch.update([pull], at: Self.t0.addingTimeInterval(110)).failure != nil)
    }

    /// ErrImagePull and ImagePullBackOff alternate as the kubelet retries: one cause at one place,
    /// so the bound runs on through both.
    @Test func pullRetriesAreOneCause() throws {
        var watch = StartWatch()
        let job = try Fixture.job("job-active.json")
        func pod(_ reason: String) throws -> Pod {
            try ClusterJSON.pod(containers: [Box(name: "main", image: "app:missing", state: ClusterJSON.waiting(reason))],
                                node: "fargate-ip-1")
        }
        var failure: StartWatch.Failure?
        for (second, reason) in [(0, "ErrImagePull"), (20, "ImagePullBackOff"), (40, "ErrImagePull"), (60, "ImagePullBackOff")] {
            let blockers = StartDiagnosis.blockers(job: job, pods: [try pod(reason)], events: [])
            failure = watch.update(blockers, at: Self.t0.addingTimeInterval(Double(second))).failure
        }
        #expect(failure?.reason == "cannot start: an image cannot be pulled (pod \(Self.podName), container main (image app:missing)) for 60 s: ImagePullBackOff")
    }

    @Test func boundsCanBeChanged() {
        let bounds = StartBounds.default.with(.imagePull, .seconds(5))
        #expect(bounds.bound(for: .imagePull) == .seconds(5) && bounds.bound(for: .quotaExceeded) == .seconds(60))
        #expect(StartBounds.uniform(.seconds(2)).bound(for: .admissionRefused) == .seconds(2))
    }
}
