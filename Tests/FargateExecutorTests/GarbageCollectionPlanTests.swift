import Foundation
import Kubernetes
import Testing

@testable import FargateExecutor

struct GarbageCollectionPlanTests {
    /// A finished Job of `job` for the slot at `minute` past 06:00, from the fixtures.
    func job(_ job: String, minute: Int, succeeded: Bool) throws -> Job {
        var object = try Fixture.job(succeeded ? "job-complete.json" : "job-backoff-limit.json")
        let slot = instant("2026-11-29T06:00:00Z").addingTimeInterval(Double(minute * 60))
        object.metadata.name = JobNaming.jobName(for: job, slot: slot, scheduleHasSeconds: false)
        object.metadata.uid = "uid-\(object.metadata.name ?? "")"
        object.metadata.labels?[OwnershipLabels.job] = job
        object.metadata.labels?[OwnershipLabels.scheduledAt] = OwnershipLabels.labelValue(of: slot)
        return object
    }

    func pod(_ fixture: String, name: String, job: String = "nightly-report") throws -> Pod {
        var pod = try Fixture.pod(fixture)
        pod.metadata.name = name
        pod.metadata.uid = "uid-\(name)"
        pod.metadata.labels?[OwnershipLabels.job] = job
        return pod
    }

    let finished = instant("2026-11-29T06:32:10Z")  // the fixtures' pods finished then

    @Test func finishedPodsGoOnceTheirTTLHasPassedAndRunningOnesStay() throws {
        let pods = [
            try pod("pod-succeeded.json", name: "done"), try pod("pod-oomkilled.json", name: "oom"),
            try pod("pod-running.json", name: "running"), try pod("pod-pending-unschedulable.json", name: "pending"),
            try pod("pod-succeeded.json", name: "kept-long", job: "slow-ttl"),
            try pod("pod-succeeded.json", name: "streaming"),
        ]
        let retention = ["nightly-report": RetentionPolicy(keepSucceeded: 3, keepFailed: 1, podTTL: .zero),
                         "slow-ttl": RetentionPolicy(keepSucceeded: 3, keepFailed: 1, podTTL: .seconds(600))]
        let plan = GarbageCollectionPlan.deletions(
            jobs: [], pods: pods, retention: retention, busyPods: ["streaming"], now: finished.addingTimeInterval(1))
        #expect(plan.map(\.name) == ["done", "oom"])
        #expect(plan.allSatisfy { $0.kind == .pod && $0.uid == "uid-\($0.name)" })
        let later = GarbageCollectionPlan.deletions(
            jobs: [], pods: pods, retention: retention, now: finished.addingTimeInterval(600))
        #expect(later.map(\.name) == ["done", "kept-long", "oom", "streaming"])
    }

    @Test func jobsAreKeptToTheHistoryLimitsNewestFirst() throws {
        var jobs: [Job] = []
        for minute in 0..<5 { jobs.append(try job("nightly-report", minute: minute, succeeded: true)) }
        for minute in 5..<8 { jobs.append(try job("nightly-report", minute: minute, succeeded: false)) }
        var active = try Fixture.job("job-active.json")
        active.metadata.name = "nightly-report-active"
        jobs.append(active)
        let retention = ["nightly-report": RetentionPolicy(keepSucceeded: 2, keepFailed: 1, podTTL: .zero)]
        let plan = GarbageCollectionPlan.deletions(jobs: jobs, pods: [], retention: retention, now: finished)
        let name = { (minute: Int) in JobNaming.jobName(for: "nightly-report", slot: instant("2026-11-29T06:00:00Z").addingTimeInterval(Double(minute * 60)), scheduleHasSeconds: false) }
        #expect(Set(plan.map(\.name)) == Set([0, 1, 2, 5, 6].map(name)))
        #expect(plan.allSatisfy { $0.kind == .job && $0.uid != nil })
    }

    @Test func objectsWeDoNotOwnAreNeverTouched() throws {
        var foreign = try pod("pod-succeeded.json", name: "theirs")
        foreign.metadata.labels = ["app": "other"]
        var foreignJob = try job("nightly-report", minute: 0, succeeded: true)
        foreignJob.metadata.labels?[OwnershipLabels.managedBy] = "helm"
        let plan = GarbageCollectionPlan.deletions(
            jobs: [foreignJob], pods: [foreign], retention: ["nightly-report": RetentionPolicy(keepSucceeded: 0, keepFailed: 0, podTTL: .zero)],
            now: finished.addingTimeInterval(3600))
        #expect(plan.isEmpty)
    }

    @Test func aJobNoScheduleNamesAnyMoreFallsBackToTheCronJobDefaults() throws {
        var jobs: [Job] = []
        for minute in 0..<5 { jobs.append(try job("removed-job", minute: minute, succeeded: true)) }
        let plan = GarbageCollectionPlan.deletions(jobs: jobs, pods: [], retention: [:], now: finished)
        #expect(plan.count == 2)  // three succeeded kept
    }

    @Test func podsAlreadyBeingDeletedAreLeftToFinish() throws {
        var going = try pod("pod-succeeded.json", name: "going")
        going.metadata.deletionTimestamp = finished
        #expect(GarbageCollectionPlan.deletions(jobs: [], pods: [going], retention: [:], now: finished.addingTimeInterval(60)).isEmpty)
    }
}
