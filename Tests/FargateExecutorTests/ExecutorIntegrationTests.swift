import Foundation
import Kubernetes
import RunModel
import Scheduler
import TestSupport
import Testing

@testable import FargateExecutor

/// The executor against the Kubernetes API emulator, with `fargate_controller.py` playing the Job
/// controller and Fargate, and the real journald (both started by `scripts/test`).
@Suite(.enabled(if: Cluster.isAvailable), .serialized, .timeLimit(.minutes(1)))
struct ExecutorIntegrationTests {
    @Test func aRunGoesFromSlotToDeletedPodWithEveryLineInTheJournal() async throws {
        let world = try World("journey")
        let job = world.job("report", script: ["lines": "10", "run-seconds": "0.5"])
        let request = world.request(job, run: 101)
        let (outcome, report) = try await world.runToEnd(request)
        #expect(outcome == .succeeded)
        let run = try #require(report)
        #expect(run.verdict == .succeeded)
        #expect(run.linesWritten == 10)
        let pod = try #require(run.pods.first)
        #expect(run.pods.count == 1)
        #expect(pod.node?.hasPrefix("fargate-ip-") == true)
        #expect(pod.capacityProvisioned == "0.25vCPU 0.5GB")
        let (scheduled, running, finished, deleted) = (
            try #require(pod.scheduledAt), try #require(pod.runningAt), try #require(pod.finishedAt), try #require(pod.deletedAt))
        #expect(scheduled <= running && running <= finished && finished <= deleted)
        // The pod goes within 2 s of its log stream ending.
        let logsEnded = try #require(pod.logsEndedAt)
        #expect(logsEnded <= deleted)
        #expect(deleted.timeIntervalSince(logsEnded) < 2, "deleted \(deleted.timeIntervalSince(logsEnded)) s after its logs ended")
        #expect(run.costs.first?.billedSeconds == 60)  // Fargate's one-minute minimum
        #expect(try await world.pods().isEmpty)
        #expect(try await world.jobs().map(\.metadata.name) == [run.jobName])  // the Job is kept (history)

        var lines: [[String: String]] = []
        let complete = try await poll(within: .seconds(10)) {
            lines = try await journalEntries(["CRON_JOB=\(job.jobName)", "CRON_RUN_ID=101"])
            return lines.count >= 10
        }
        #expect(complete)
        #expect(lines.map { $0["MESSAGE"] ?? "" } == (1...10).map { "line \($0) of \(run.jobName)" })
        #expect(lines.allSatisfy { $0["K8S_POD"] == pod.pod && $0["K8S_JOB"] == run.jobName && $0["K8S_NAMESPACE"] == world.namespace })
        #expect(lines.allSatisfy { $0["CRON_OUTPUT_TIMESTAMP"] != nil })
    }

    struct Failure: CustomTestStringConvertible, Sendable {
        var label: String
        var script: [String: String]
        var timeout: Duration?
        var kind: FailureKind
        var exitCode: Int32?
        var testDescription: String { label }
    }

    @Test(arguments: [
        Failure(label: "exit status 3", script: ["exit-code": "3"], kind: .exitStatus, exitCode: 3),
        Failure(label: "OOMKilled", script: ["outcome": "oom"], kind: .outOfMemory, exitCode: 137),
        Failure(label: "Fargate eviction", script: ["outcome": "evict"], kind: .platformEviction, exitCode: 143),
        Failure(label: "deadline", script: ["run-seconds": "30", "lines": "2"], timeout: .seconds(1), kind: .deadlineExceeded,
                exitCode: 143),
    ])
    func failuresAreClassifiedAndTheirPodsStillDeleted(_ failure: Failure) async throws {
        let world = try World("failure")
        let job = world.job("report", script: failure.script, timeout: failure.timeout)
        let (outcome, report) = try await world.runToEnd(world.request(job, run: 201))
        guard case .failed(let code, let reason)? = outcome else {
            Issue.record("expected a failure, got \(String(describing: outcome))")
            return
        }
        #expect(code == failure.exitCode)
        #expect(reason.hasPrefix("platform failure: ") == failure.kind.isPlatformFailure)
        guard case .failed(let kind, _, _)? = report?.verdict else {
            Issue.record("no failed verdict")
            return
        }
        #expect(kind == failure.kind)
        #expect(try await world.pods().isEmpty)
    }

    @Test func aRunPendingPastItsTimeoutFailsAndItsJobIsDeleted() async throws {
        let world = try World("pending")
        // 5 s: the controller says why the pod cannot be scheduled within that even on loaded cores.
        let job = world.job("report", script: ["pending-seconds": "stuck"], pendingTimeout: .seconds(5))
        let (outcome, report) = try await world.runToEnd(world.request(job, run: 301))
        guard case .failed(nil, let reason)? = outcome else {
            Issue.record("expected a failure, got \(String(describing: outcome))")
            return
        }
        #expect(reason.contains("platform failure: pending for longer than 5 s"))
        #expect(reason.contains("no Fargate profile matches"))
        if case .failed(let kind, _, _)? = report?.verdict { #expect(kind == .pendingTimeout) } else { Issue.record("no verdict") }
        #expect(try await world.jobs().isEmpty)
        #expect(try await world.pods().isEmpty)
    }

    @Test func forbidRefusesASlotWhileAJobOfTheJobIsActiveInTheCluster() async throws {
        let world = try World("forbid")
        let job = world.job("report", script: ["run-seconds": "3"])
        let first = try await world.executor.start(world.request(job, run: 401), output: NoOutput())
        await #expect {
            _ = try await world.executor.start(world.request(job, slot: "2026-11-29T06:31:00Z", run: 402), output: NoOutput())
        } throws: { error in
            "\(error)".contains("still active in the cluster")
        }
        #expect(try await world.jobs().count == 1)
        #expect(await world.executor.outcome(of: first) == .succeeded)
    }

    @Test func replaceDeletesTheActiveJobBeforeCreatingTheNewOne() async throws {
        let world = try World("replace")
        let job = world.job("report", script: ["run-seconds": "20", "lines": "2"], concurrency: .replace)
        let old = try await world.executor.start(world.request(job, run: 501), output: NoOutput())
        _ = try await poll(within: .seconds(10)) { try await world.pods().contains { $0.status?.phase == "Running" } }
        let newRequest = world.request(job, slot: "2026-11-29T06:31:00Z", run: 502)
        let new = try await world.executor.start(newRequest, output: NoOutput())
        let oldOutcome = await world.executor.outcome(of: old)
        #expect(oldOutcome != .succeeded)
        #expect(try await world.jobs().map(\.metadata.name) == [String(new.reference.split(separator: "/")[1])])
        await world.executor.cancel(new, reason: "end of test")
        #expect(await world.executor.outcome(of: new) == .cancelled(reason: "end of test"))
    }

    @Test func aRetriedCreateAdoptsItsOwnJobAndRefusesAStrangers() async throws {
        let world = try World("adopt")
        let job = world.job("report")
        let request = world.request(job, run: 601)
        // A first attempt made the Job, then "crashed" before recording it: the retry meets 409 and adopts.
        let manifest = try JobManifest.build(for: request, settings: job)
        _ = try await world.client.create(manifest, in: world.namespace)
        let (outcome, _) = try await world.runToEnd(request)
        #expect(outcome == .succeeded)
        #expect(try await world.jobs().count == 1)

        // The same name, not ours: refused.
        let other = world.request(job, slot: "2026-11-29T06:40:00Z", run: 602)
        var stranger = try JobManifest.build(for: other, settings: job)
        stranger.metadata.labels?[OwnershipLabels.managedBy] = "someone-else"
        _ = try await world.client.create(stranger, in: world.namespace)
        await #expect {
            _ = try await world.executor.start(other, output: NoOutput())
        } throws: { error in
            "\(error)".contains("refusing to adopt")
        }
    }

    /// Several hosts: a new leader that starts a slot whose Job the previous leader made a moment
    /// before meets 409; the Job is fargate-cron's run of that slot, but the other host's, so the
    /// start is refused rather than recorded as this host's (which would count the slot as started
    /// twice across the hosts' ledgers; PartitionTests found it).
    @Test func a409OnAnotherHostsJobIsRefusedNotAdopted() async throws {
        let world = try World("adopt-host", host: "host-b")
        let job = world.job("report", concurrency: .allow)  // the two slots' Jobs may overlap here
        let request = world.request(job, run: 611)
        let manifest = try JobManifest.build(for: request, settings: job, startedBy: "host-a")
        _ = try await world.client.create(manifest, in: world.namespace)
        await #expect {
            _ = try await world.executor.start(request, output: NoOutput())
        } throws: { error in
            "\(error)".contains("created by host-a") && "\(error)".contains("host-a's run")
        }
        #expect(try await world.jobs().count == 1)

        // This host's own Job of a slot (an earlier attempt of its own) is still adopted.
        let own = world.request(job, slot: "2026-11-29T06:45:00Z", run: 612)
        _ = try await world.client.create(try JobManifest.build(for: own, settings: job, startedBy: "host-b"), in: world.namespace)
        let (outcome, _) = try await world.runToEnd(own)
        #expect(outcome == .succeeded)
    }

    @Test func cleanUpKeepsFinishedJobsToTheHistoryLimit() async throws {
        let world = try World("history")
        let job = world.job("report", script: ["lines": "1", "run-seconds": "0.1"], keepSucceeded: 1)
        var handles: [RunHandle] = []
        for minute in 0..<3 {
            let request = world.request(job, slot: "2026-11-29T06:3\(minute):00Z", run: Int64(700 + minute))
            let handle = try await world.executor.start(request, output: NoOutput())
            #expect(await world.executor.outcome(of: handle) == .succeeded)
            handles.append(handle)
        }
        await world.executor.cleanUp(handles[2])
        #expect(try await world.jobs().map(\.metadata.name) == [String(handles[2].reference.split(separator: "/")[1])])
    }

    @Test func theSweepDeletesAFinishedPodNobodyFollowsAndADryRunOnlySaysSo() async throws {
        let world = try World("sweep")
        let job = world.job("report", script: ["lines": "1", "run-seconds": "0.1"])
        // As if the daemon died: the Job is made, nobody follows it, its pod finishes and stays (billed).
        let manifest = try JobManifest.build(for: world.request(job, run: 801), settings: job)
        _ = try await world.client.create(manifest, in: world.namespace)
        #expect(try await poll(within: .seconds(10)) { try await world.pods().first?.status?.isFinished == true })
        let dry = await world.executor.sweep(jobs: [job], dryRun: true)
        #expect(dry.deleted.map(\.kind) == [.pod])
        #expect(try await world.pods().count == 1)
        let real = await world.executor.sweep(jobs: [job], dryRun: false)
        #expect(real.errors.isEmpty)
        #expect(real.deleted.map(\.kind) == [.pod])
        #expect(try await world.pods().isEmpty)
    }

    @Test func afterARestartARunIsFollowedAgainAndOneNeverCreatedIsLost() async throws {
        let world = try World("reattach")
        let job = world.job("report", script: ["run-seconds": "2", "lines": "4"])
        let request = world.request(job, run: 901)
        // The daemon that started the run is gone: a second executor (the restarted daemon) re-attaches.
        let handle = try await world.executor.start(request, output: NoOutput())
        let restarted = World(sharing: world)
        let record = RunRecord(id: request.run, slot: request.slot, trigger: .scheduled, state: .started, handle: handle)
        guard case .running(let again) = await restarted.executor.reattach(record, job: nil) else {
            Issue.record("the run was not re-attached")
            return
        }
        #expect(again == handle)
        #expect(await restarted.executor.outcome(of: again) == .succeeded)
        #expect(try await poll(within: .seconds(10)) { try await world.pods().isEmpty })

        // Intent recorded, then the daemon died before the create: nothing to find, and it says so.
        let never = RunRecord(id: RunID(rawValue: 902), slot: Slot(job: job.jobName, scheduledAt: instant("2026-11-29T07:00:00Z")),
                              trigger: .scheduled, state: .intended)
        #expect(await restarted.executor.reattach(never, job: nil) == .lost(reason: "its Job was never created"))
    }
}
