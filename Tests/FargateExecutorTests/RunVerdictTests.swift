import Foundation
import Kubernetes
import Scheduler
import Testing

@testable import FargateExecutor

struct RunVerdictTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var label: String
        var job: String
        var pods: [String]
        var now = "2026-11-29T06:33:00Z"
        var expected: RunVerdict
        var testDescription: String { label }
    }

    @Test(arguments: [
        Case(label: "complete", job: "job-complete.json", pods: ["pod-succeeded.json"], expected: .succeeded),
        Case(label: "exit status 3", job: "job-backoff-limit.json", pods: ["pod-exit-3.json"],
             expected: .failed(.exitStatus, exitCode: 3, reason: "exited with status 3 (BackoffLimitExceeded)")),
        Case(label: "OOMKilled", job: "job-backoff-limit.json", pods: ["pod-oomkilled.json"],
             expected: .failed(.outOfMemory, exitCode: 137,
                               reason: "OOMKilled: the container went over its memory limit (BackoffLimitExceeded)")),
        Case(label: "deadline", job: "job-deadline.json", pods: ["pod-running.json"],
             expected: .failed(.deadlineExceeded, exitCode: nil,
                               reason: "DeadlineExceeded: Job was active longer than specified deadline")),
        Case(label: "Fargate eviction, judged by the Job", job: "job-backoff-limit.json", pods: ["pod-evicted.json"],
             expected: .failed(.platformEviction, exitCode: 143,
                               reason: "Evicted: Pod was evicted by Fargate for scheduled maintenance (BackoffLimitExceeded)")),
        Case(label: "Fargate eviction, before the Job is judged", job: "job-active.json", pods: ["pod-evicted.json"],
             expected: .failed(.platformEviction, exitCode: 143,
                               reason: "Evicted: Pod was evicted by Fargate for scheduled maintenance")),
        Case(label: "DisruptionTarget condition", job: "job-backoff-limit.json", pods: ["pod-disruption-target.json"],
             expected: .failed(.platformEviction, exitCode: 137,
                               reason: "EvictionByEvictionAPI: Eviction API: evicting (BackoffLimitExceeded)")),
        Case(label: "running", job: "job-active.json", pods: ["pod-running.json"], expected: .running),
        Case(label: "finished pod, Job not yet judged", job: "job-active.json", pods: ["pod-succeeded.json"], expected: .running),
        Case(label: "pending within the timeout", job: "job-active.json", pods: ["pod-pending-unschedulable.json"],
             now: "2026-11-29T06:35:01Z", expected: .pending(since: instant("2026-11-29T06:30:01Z"))),
        Case(label: "no pod yet", job: "job-active.json", pods: [], now: "2026-11-29T06:30:05Z",
             expected: .pending(since: instant("2026-11-29T06:30:01Z"))),
        Case(label: "pending past the timeout", job: "job-active.json", pods: ["pod-pending-unschedulable.json"],
             now: "2026-11-29T06:35:02Z",
             expected: .failed(.pendingTimeout, exitCode: nil,
                               reason: "pending for longer than 300 s (no Fargate profile matches the pod's namespace and labels)")),
    ])
    func verdicts(_ c: Case) throws {
        let verdict = RunClassifier.verdict(
            job: try Fixture.job(c.job), pods: try c.pods.map(Fixture.pod), now: instant(c.now), pendingTimeout: .seconds(300))
        #expect(verdict == c.expected)
    }

    @Test func platformFailuresSayTheyAreThePlatformsInTheOutcome() {
        let eviction = RunVerdict.failed(.platformEviction, exitCode: 143, reason: "Evicted: maintenance")
        #expect(eviction.outcome == .failed(exitCode: 143, reason: "platform failure: Evicted: maintenance"))
        let own = RunVerdict.failed(.exitStatus, exitCode: 3, reason: "exited with status 3")
        #expect(own.outcome == .failed(exitCode: 3, reason: "exited with status 3"))
        #expect(RunVerdict.running.outcome == nil)
        #expect(FailureKind.pendingTimeout.isPlatformFailure && !FailureKind.outOfMemory.isPlatformFailure)
    }

    @Test func theTimelineAndTheBillComeFromThePod() throws {
        var timeline = PodTimeline(pod: try Fixture.pod("pod-succeeded.json"))
        #expect(timeline.pod == "nightly-report-29406750-x7k2p")
        #expect(timeline.node == "fargate-ip-10-0-1-23.ap-northeast-1.compute.internal")
        #expect(timeline.capacityProvisioned == "0.25vCPU 0.5GB")
        #expect(timeline.scheduledAt == instant("2026-11-29T06:30:35Z"))
        #expect(timeline.runningAt == instant("2026-11-29T06:31:02Z"))
        #expect(timeline.finishedAt == instant("2026-11-29T06:32:10Z"))
        #expect(FargateCost(timeline: timeline, rates: nil) == nil)  // not deleted yet: the bill still runs
        timeline.deletedAt = instant("2026-11-29T06:32:11.2Z")
        let rates = FargateRates(perVCPUHour: Decimal(string: "0.05056")!, perGBHour: Decimal(string: "0.00553")!)
        let cost = try #require(FargateCost(timeline: timeline, rates: rates))
        #expect(cost.capacity == FargateCapacity(vCPU: 0.25, memoryGB: 0.5))
        #expect(cost.billedSeconds == 97)  // 06:30:35 to 06:32:11.2, rounded up
        // 97 s × (0.25 × 0.05056 + 0.5 × 0.00553) per hour
        #expect(cost.estimatedPrice == Decimal(97) / 3600 * (Decimal(0.25) * Decimal(string: "0.05056")! + Decimal(0.5) * Decimal(string: "0.00553")!))
        timeline.deletedAt = instant("2026-11-29T06:30:50Z")
        #expect(FargateCost(timeline: timeline, rates: nil)?.billedSeconds == 60)  // Fargate's one-minute minimum
    }

    @Test(arguments: ["0.25vCPU", "0.25vCPU 0.5", "abcvCPU 1GB", "0vCPU 1GB", ""])
    func unreadableCapacityIsNil(_ text: String) {
        #expect(FargateCapacity(annotation: text) == nil)
    }
}
