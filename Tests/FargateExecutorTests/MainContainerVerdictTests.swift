import Foundation
import Kubernetes
import Testing

@testable import FargateExecutor

/// The run's verdict comes from its main container (`CRON_CONTAINER`, by default the first): its
/// exit status, not a sidecar's; a failure of another container is named as that container's.
struct MainContainerVerdictTests {
    typealias Box = ClusterJSON.Box

    struct Case: CustomTestStringConvertible, Sendable {
        var label: String
        var job: String
        var main: String?
        var phase: String
        var initContainers: [Box] = []
        var containers: [Box]
        var expected: RunVerdict
        var testDescription: String { label }
    }

    static let cases: [Case] = [
        Case(label: "the named main container's status, not the first's", job: "job-backoff-limit.json", main: "app",
             phase: "Failed",
             containers: [Box(name: "proxy", state: ClusterJSON.terminated(0)), Box(name: "app", state: ClusterJSON.terminated(4, "Error"))],
             expected: .failed(.exitStatus, exitCode: 4, reason: "exited with status 4 (BackoffLimitExceeded)")),
        Case(label: "a sidecar that failed is named, with its own status", job: "job-backoff-limit.json", main: nil,
             phase: "Failed",
             containers: [Box(name: "app", state: ClusterJSON.terminated(0)), Box(name: "metrics", state: ClusterJSON.terminated(2, "Error"))],
             expected: .failed(.exitStatus, exitCode: 2, reason: "container metrics exited with status 2 (BackoffLimitExceeded)")),
        Case(label: "an init container that failed is named", job: "job-backoff-limit.json", main: nil, phase: "Failed",
             initContainers: [Box(name: "migrate", state: ClusterJSON.terminated(1, "Error"))],
             containers: [Box(name: "app", state: ClusterJSON.waiting("PodInitializing"))],
             expected: .failed(.exitStatus, exitCode: 1, reason: "init container migrate exited with status 1 (BackoffLimitExceeded)")),
        Case(label: "a sidecar over its memory limit is named", job: "job-backoff-limit.json", main: nil, phase: "Failed",
             containers: [Box(name: "app", state: ClusterJSON.terminated(0)), Box(name: "cache", state: ClusterJSON.terminated(137, "OOMKilled"))],
             expected: .failed(.outOfMemory, exitCode: 137,
                               reason: "OOMKilled: container cache went over its memory limit (BackoffLimitExceeded)")),
        Case(label: "the main container's OOMKilled", job: "job-backoff-limit.json", main: "app", phase: "Failed",
             containers: [Box(name: "proxy", state: ClusterJSON.terminated(0)), Box(name: "app", state: ClusterJSON.terminated(137, "OOMKilled"))],
             expected: .failed(.outOfMemory, exitCode: 137,
                               reason: "OOMKilled: the container went over its memory limit (BackoffLimitExceeded)")),
        Case(label: "the main container ended, an ordinary sidecar runs on: succeeded", job: "job-active.json", main: nil,
             phase: "Running",
             containers: [Box(name: "app", state: ClusterJSON.terminated(0)), Box(name: "proxy", state: ClusterJSON.running)],
             expected: .succeeded),
        Case(label: "the main container failed, an ordinary sidecar runs on: failed", job: "job-active.json", main: nil,
             phase: "Running",
             containers: [Box(name: "app", state: ClusterJSON.terminated(3, "Error")), Box(name: "proxy", state: ClusterJSON.running)],
             expected: .failed(.exitStatus, exitCode: 3, reason: "exited with status 3")),
        Case(label: "a sidecar ended while the main container runs: running", job: "job-active.json", main: nil,
             phase: "Running",
             containers: [Box(name: "app", state: ClusterJSON.running), Box(name: "proxy", state: ClusterJSON.terminated(0))],
             expected: .running),
        Case(label: "a native sidecar stopped by the kubelet (143) is not the failed container", job: "job-backoff-limit.json",
             main: nil, phase: "Failed",
             initContainers: [Box(name: "proxy", state: ClusterJSON.terminated(143, "Error"), sidecar: true)],
             containers: [Box(name: "app", state: ClusterJSON.terminated(0)), Box(name: "metrics", state: ClusterJSON.terminated(5, "Error"))],
             expected: .failed(.exitStatus, exitCode: 5, reason: "container metrics exited with status 5 (BackoffLimitExceeded)")),
        Case(label: "native sidecars do not hold the verdict: the Job's condition gives it", job: "job-complete.json",
             main: nil, phase: "Succeeded",
             initContainers: [Box(name: "proxy", state: ClusterJSON.terminated(0), sidecar: true)],
             containers: [Box(name: "app", state: ClusterJSON.terminated(0))],
             expected: .succeeded),
    ]

    @Test(arguments: cases)
    func verdicts(_ c: Case) throws {
        let pod = try ClusterJSON.pod(phase: c.phase, initContainers: c.initContainers, containers: c.containers)
        let verdict = RunClassifier.verdict(
            job: try Fixture.job(c.job), pods: [pod], now: instant("2026-11-29T06:33:00Z"), pendingTimeout: .seconds(300),
            mainContainer: c.main)
        #expect(verdict == c.expected)
    }

    /// A pod whose main container ended beside a still-running ordinary container is one to stop:
    /// it would never finish by itself, and Fargate bills it until it is deleted.
    @Test func podsHeldBySidecarsAreTheOnesToStop() throws {
        let held = try ClusterJSON.pod(
            name: "held", phase: "Running",
            containers: [Box(name: "app", state: ClusterJSON.terminated(0)), Box(name: "proxy", state: ClusterJSON.running)])
        let running = try ClusterJSON.pod(
            name: "running", phase: "Running",
            containers: [Box(name: "app", state: ClusterJSON.running), Box(name: "proxy", state: ClusterJSON.running)])
        let finished = try ClusterJSON.pod(
            name: "finished", phase: "Succeeded",
            containers: [Box(name: "app", state: ClusterJSON.terminated(0)), Box(name: "proxy", state: ClusterJSON.terminated(0))])
        #expect(RunClassifier.podsHeldBySidecars([held, running, finished], mainContainer: nil) == ["held"])
        #expect(RunClassifier.podsHeldBySidecars([held], mainContainer: "proxy").isEmpty)
    }
}
