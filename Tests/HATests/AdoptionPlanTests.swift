import FargateExecutor
import Foundation
import Kubernetes
import RunModel
import Scheduler
import Testing

@testable import Daemon

/// What a new leader records of the Jobs another leader started, decided from the cluster alone.
@Suite struct AdoptionPlanTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)  // 2027-01-15T08:00:00Z, a */5 slot

    static func settings(_ name: String = "tick", namespace: String = "ha", concurrency: ConcurrencyPolicy = .forbid)
        -> KubernetesJobSettings
    {
        KubernetesJobSettings(
            jobName: name, namespace: namespace, image: "app:1", cpu: "0.25", memory: "0.5Gi", template: nil,
            serviceAccount: nil, retries: 0, timeout: nil, keepSucceeded: 3, keepFailed: 1, podTTL: .zero,
            pendingTimeout: .seconds(300), concurrency: concurrency, scheduleHasSeconds: true, labels: [:], annotations: [:])
    }

    /// A Job of ours for `job` at `slot` seconds after t0, in one of three conditions.
    static func job(
        _ slot: Double, job: String = "tick", namespace: String = "ha", state: State, startedBy: String? = "host-a",
        trigger: String = "scheduled"
    ) -> Job {
        let at = t0.addingTimeInterval(slot)
        let name = JobNaming.jobName(for: job, slot: at, scheduleHasSeconds: true)
        var meta = ObjectMeta(
            name: name, namespace: namespace,
            labels: [OwnershipLabels.managedBy: OwnershipLabels.managedByValue, OwnershipLabels.job: job,
                     OwnershipLabels.scheduledAt: OwnershipLabels.labelValue(of: at)],
            annotations: [OwnershipLabels.trigger: trigger].merging(startedBy.map { [OwnershipLabels.startedBy: $0] } ?? [:]) { $1 })
        meta.uid = "uid-\(name)"
        meta.creationTimestamp = at.addingTimeInterval(0.2)
        var made = Job(metadata: meta)
        let completed = RFC3339Text.of(at.addingTimeInterval(3))
        let json =
            switch state {
            case .running: #"{"active": 1}"#
            case .succeeded:
                #"{"succeeded": 1, "completionTime": "\#(completed)", "conditions": [{"type": "Complete", "status": "True"}]}"#
            case .failed:
                #"{"failed": 1, "conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded", "message": "Job has reached the specified backoff limit"}]}"#
            }
        // JobStatus is read from the API server's JSON only; the test writes that JSON.
        guard let status = try? KubernetesJSON.decoder.decode(Kubernetes.JobStatus.self, from: Data(json.utf8)) else {
            preconditionFailure("the test's JobStatus JSON does not decode: \(json)")
        }
        made.status = status
        return made
    }

    enum State { case running, succeeded, failed }

    /// RFC 3339 in UTC, as the API server writes times.
    enum RFC3339Text {
        static func of(_ date: Date) -> String { date.formatted(Date.ISO8601FormatStyle(timeZone: .gmt)) }
    }

    struct Row: CustomTestStringConvertible, Sendable {
        var name: String
        var jobs: [Job]
        var withPods: Set<String> = []
        var latest: Double? = nil
        /// Expected: slot offset, follow (nil outcome) or the outcome's description, and who started it.
        var expect: [Expected]
        var testDescription: String { name }
    }

    struct Expected: Equatable, Sendable {
        var slot: Double
        var outcome: String?
        var startedBy: String?
        var trigger: Trigger = .scheduled
    }

    @Test(arguments: [
        Row(name: "a running Job is followed, started by the host its annotation names",
            jobs: [job(10, state: .running)], expect: [Expected(slot: 10, outcome: nil, startedBy: "host-a")]),
        Row(name: "a finished Job whose pod is gone is recorded with its outcome",
            jobs: [job(0, state: .succeeded), job(5, state: .failed)],
            expect: [Expected(slot: 0, outcome: "succeeded", startedBy: "host-a"),
                     Expected(slot: 5, outcome: "failed: BackoffLimitExceeded: Job has reached the specified backoff limit", startedBy: "host-a")]),
        Row(name: "a finished Job whose pod is still there is followed (its output may be unread)",
            jobs: [job(5, state: .succeeded)], withPods: [JobNaming.jobName(for: "tick", slot: t0.addingTimeInterval(5), scheduleHasSeconds: true)],
            expect: [Expected(slot: 5, outcome: nil, startedBy: "host-a")]),
        Row(name: "Jobs at or before the ledger's latest slot are the ledger's own",
            jobs: [job(0, state: .succeeded), job(5, state: .succeeded), job(10, state: .running)], latest: 5,
            expect: [Expected(slot: 10, outcome: nil, startedBy: "host-a")]),
        Row(name: "a Job that names no host was started by the previous leader",
            jobs: [job(10, state: .running, startedBy: nil)], expect: [Expected(slot: 10, outcome: nil, startedBy: "host-z")]),
        Row(name: "the trigger comes from the annotation",
            jobs: [job(10, state: .running, trigger: "catchUp")],
            expect: [Expected(slot: 10, outcome: nil, startedBy: "host-a", trigger: .catchUp)]),
        Row(name: "Jobs of jobs not loaded here, or in another namespace, are left alone",
            jobs: [job(10, job: "other", state: .running), job(15, namespace: "elsewhere", state: .running)], expect: []),
        Row(name: "oldest first", jobs: [job(10, state: .running), job(5, state: .succeeded)],
            expect: [Expected(slot: 5, outcome: "succeeded", startedBy: "host-a"), Expected(slot: 10, outcome: nil, startedBy: "host-a")]),
    ])
    func plan(_ row: Row) {
        let plan = AdoptionPlan.plan(
            jobs: row.jobs, withPods: row.withPods, settings: ["tick": Self.settings()],
            latest: row.latest.map { ["tick": Self.t0.addingTimeInterval($0)] } ?? [:], previousLeader: "host-z",
            now: Self.t0.addingTimeInterval(60))
        let got = plan.adoptions.map {
            Expected(slot: $0.slot.scheduledAt.timeIntervalSince(Self.t0), outcome: $0.outcome?.description, startedBy: $0.startedBy,
                     trigger: $0.trigger)
        }
        #expect(got == row.expect)
        for adoption in plan.adoptions {
            #expect(adoption.policy == .forbid)
            #expect(adoption.handle.executor == .kubernetes && adoption.handle.reference.hasPrefix("ha/tick-"))
            #expect(adoption.handle.uid == "uid-\(adoption.handle.reference.dropFirst(3))")
            #expect(adoption.startedAt == adoption.slot.scheduledAt.addingTimeInterval(0.2), "its creation time")
            #expect((adoption.endedAt != nil) == (adoption.outcome != nil))
        }
    }
}
