import Foundation
import Kubernetes
import Ledger
import RunModel
import Scheduler
import Testing

@testable import FargateExecutor
@testable import Daemon

/// The kubernetes executor's ``RunReport`` as the ledger records it (``RunLedger/record(_:rates:at:)``),
/// into a real ledger file. FargateCost's own arithmetic is FargateExecutor's tests' business; here,
/// which pod's facts are kept, how the bills of several pods add up, and whose a failure is.
@Suite struct RunReportLedgerTests {
    /// 2027-01-01T00:00:00Z.
    static let t0 = Date(timeIntervalSince1970: 1_798_761_600)
    static func at(_ seconds: Double) -> Date { t0.addingTimeInterval(seconds) }

    static func timeline(
        _ name: String, capacity: String?, node: String? = nil, created: Double, scheduled: Double?, running: Double?,
        finished: Double?, deleted: Double?
    ) -> PodTimeline {
        var timeline = PodTimeline(pod: Pod(metadata: ObjectMeta(name: name)))
        timeline.uid = "uid-\(name)"
        timeline.node = node
        timeline.capacityProvisioned = capacity
        timeline.createdAt = at(created)
        timeline.scheduledAt = scheduled.map(at)
        timeline.runningAt = running.map(at)
        timeline.finishedAt = finished.map(at)
        timeline.deletedAt = deleted.map(at)
        return timeline
    }

    static func report(run: Int64, pods: [PodTimeline], verdict: RunVerdict) -> RunReport {
        RunReport(
            slot: Slot(job: "nightly-report", scheduledAt: t0), run: RunID(rawValue: run),
            namespace: "batch", jobName: "nightly-report-29400000", jobUID: "0d6c5e8e-7f4b", pods: pods,
            verdict: verdict, costs: pods.compactMap { FargateCost(timeline: $0, rates: nil) }, linesWritten: 48)
    }

    /// A ledger with run 1 of nightly-report started as the daemon records it.
    static func withStartedRun(_ body: (RunLedger, RunID) throws -> Void) throws {
        let parent = FileManager.default.temporaryDirectory.appendingPathComponent("report-ledger-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: parent) }
        let ledger = try RunLedger.open(stateDirectory: parent.path + "/state")
        let run = try ledger.recordIntent(
            for: Slot(job: "nightly-report", scheduledAt: t0), policy: .forbid, at: t0)
        try ledger.record(
            .started(RunHandle(executor: .kubernetes, reference: "batch/nightly-report-29400000")), for: run.id, at: t0)
        try body(ledger, run.id)
    }

    @Test func aSucceededRunWithOnePod() throws {
        try Self.withStartedRun { ledger, id in
            let pod = Self.timeline(
                "nightly-report-29400000-x7k2p", capacity: "0.25vCPU 0.5GB", node: "fargate-ip-10-0-1-7.ec2.internal",
                created: 1, scheduled: 2, running: 50, finished: 170, deleted: 172)
            let run = try ledger.record(
                Self.report(run: id.rawValue, pods: [pod], verdict: .succeeded), at: Self.at(173))
            #expect(run.pod == "nightly-report-29400000-x7k2p" && run.podCount == 1)
            #expect(run.node == "fargate-ip-10-0-1-7.ec2.internal" && run.capacity == "0.25vCPU 0.5GB")
            #expect(
                run.handle == RunHandle(executor: .kubernetes, reference: "batch/nightly-report-29400000", uid: "0d6c5e8e-7f4b")
            )
            #expect(run.podCreatedAt == Self.at(1) && run.podScheduledAt == Self.at(2) && run.runningAt == Self.at(50))
            #expect(run.podFinishedAt == Self.at(170) && run.podDeletedAt == Self.at(172))
            // Scheduled at 2 s, deleted at 172 s: 170 s billed.
            #expect(run.billedDuration == .seconds(170))
            #expect(run.estimatedPrice == nil, "no rates, no price")
            #expect(run.failureCause == nil && run.outputLines == 48 && run.reportedAt == Self.at(173))
            #expect(run.state == .started, "the report does not record the outcome")
        }
    }

    @Test func aRetriedRunIsBilledForEveryPodAndPricedWithTheRates() throws {
        try Self.withStartedRun { ledger, id in
            let first = Self.timeline(
                "nightly-report-29400000-aaaaa", capacity: "0.25vCPU 0.5GB", created: 1, scheduled: 2, running: 20,
                finished: 30, deleted: 31)
            let second = Self.timeline(
                "nightly-report-29400000-bbbbb", capacity: "1vCPU 2GB", node: "fargate-ip-10-0-2-9.ec2.internal",
                created: 40, scheduled: 45, running: 80, finished: 340, deleted: 345)
            let verdict = RunVerdict.failed(.outOfMemory, exitCode: 137, reason: "OOMKilled: over its memory limit")
            let rates = FargateRates(perVCPUHour: Decimal(string: "0.04048")!, perGBHour: Decimal(string: "0.004445")!)
            let run = try ledger.record(
                Self.report(run: id.rawValue, pods: [first, second], verdict: verdict), rates: rates, at: Self.at(346))
            // The last pod's facts.
            #expect(run.pod == "nightly-report-29400000-bbbbb" && run.podCount == 2 && run.capacity == "1vCPU 2GB")
            #expect(run.node == "fargate-ip-10-0-2-9.ec2.internal" && run.podScheduledAt == Self.at(45))
            // Every pod's bill: 29 s rounds up to the one-minute minimum, then 300 s.
            #expect(run.billedDuration == .seconds(360))
            // 60 s × (0.25 × 0.04048 + 0.5 × 0.004445) / 3600 + 300 s × (1 × 0.04048 + 2 × 0.004445) / 3600
            // = 0.000205708… + 0.004114166… = 0.004319875 dollars, 4,320 micro-dollars.
            #expect(run.estimatedPrice == EstimatedPrice(microdollars: 4_320))
            #expect(run.failureCause == .outOfMemory && run.failureCause?.origin == .job)
        }
    }

    @Test func anEvictionIsThePlatformsAndAnUnprovisionedPodCostsNothing() throws {
        try Self.withStartedRun { ledger, id in
            let pod = Self.timeline(
                "nightly-report-29400000-x7k2p", capacity: nil, created: 1, scheduled: nil, running: nil, finished: nil,
                deleted: 90)
            let verdict = RunVerdict.failed(.platformEviction, exitCode: nil, reason: "Evicted: the node was reclaimed")
            let run = try ledger.record(Self.report(run: id.rawValue, pods: [pod], verdict: verdict), at: Self.at(91))
            #expect(run.failureCause == .evicted && run.failureCause?.origin == .platform)
            #expect(run.billedDuration == nil && run.estimatedPrice == nil && run.podDeletedAt == Self.at(90))
            #expect(run.capacity == nil && run.node == nil && run.runningAt == nil)
        }
    }

    /// Every executor failure kind maps to a ledger cause with the same owner.
    @Test(arguments: [
        FargateExecutor.FailureKind.exitStatus, .outOfMemory, .deadlineExceeded, .platformEviction, .pendingTimeout,
    ])
    func failureOwnersAgree(_ kind: FargateExecutor.FailureKind) {
        #expect((FailureCause(kind)?.origin == .platform) == kind.isPlatformFailure)
    }

    /// A run the cluster kept from starting has no failure cause (its command never ran): the
    /// ledger's start failure names why, and a pod that ran elsewhere than Fargate says so.
    @Test func aStartFailureAndThePlacementAreRecorded() throws {
        try Self.withStartedRun { ledger, id in
            let verdict = RunVerdict.failed(.cannotStart, exitCode: nil, reason: "cannot start: an image cannot be pulled")
            var report = Self.report(run: id.rawValue, pods: [], verdict: verdict)
            report.startBlocker = .imagePull
            let run = try ledger.record(report, at: Self.at(91))
            #expect(run.startFailure == .imagePull && run.failureCause == nil && run.placement == nil)
        }
        try Self.withStartedRun { ledger, id in
            let pod = Self.timeline(
                "nightly-report-29400000-x7k2p", capacity: nil, created: 1, scheduled: 2, running: 3, finished: 4, deleted: 5)
            var report = Self.report(run: id.rawValue, pods: [pod], verdict: .succeeded)
            report.placement = .notFargate(node: "ip-10-0-1-2.ec2.internal", why: "its node ip-10-0-1-2.ec2.internal is not a Fargate node")
            let run = try ledger.record(report, at: Self.at(6))
            #expect(run.placement == .notFargate)
            #expect(run.placementNote == "its node ip-10-0-1-2.ec2.internal is not a Fargate node")
            #expect(run.startFailure == nil)
            // `status` shows it with the job's last run, from the daemon (over the control socket)
            // or from the ledger: both build the run record from the ledger's row.
            #expect(RunRecord(run).notice == "not on Fargate (its node ip-10-0-1-2.ec2.internal is not a Fargate node)")
        }
    }

    /// Every cause the executor finds has its ledger name, spelt the same.
    @Test(arguments: StartBlocker.Cause.allCases)
    func startFailureNamesAgree(_ cause: StartBlocker.Cause) {
        #expect(StartFailure(cause).rawValue == cause.rawValue)
    }

    @Test func recordingTheSameReportTwiceIsHarmless() throws {
        try Self.withStartedRun { ledger, id in
            let pod = Self.timeline(
                "nightly-report-29400000-x7k2p", capacity: "0.5vCPU 1GB", created: 1, scheduled: 2, running: 3,
                finished: 4, deleted: 5)
            let report = Self.report(run: id.rawValue, pods: [pod], verdict: .succeeded)
            let first = try ledger.record(report, at: Self.at(6))
            #expect(try ledger.record(report, at: Self.at(60)) == first)
        }
    }
}
