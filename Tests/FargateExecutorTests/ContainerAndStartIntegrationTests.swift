import Foundation
import HTTP
import Kubernetes
import Logging
import RunModel
import Scheduler
import Systemd
import TestSupport
import Testing

@testable import FargateExecutor

/// #14 part 2 through the executor, against the strict emulator and `fargate_controller.py` (which
/// plays the Job controller, the scheduler, Fargate and the kubelet, init containers and native
/// sidecars included) and the real journald: every container's output, the verdict from the main
/// container, why a run cannot start, where its pod ran, a silent stream.
@Suite(.enabled(if: Cluster.isAvailable), .serialized, .timeLimit(.minutes(1)))
struct ContainerAndStartIntegrationTests {
    /// A template with an init container (`migrate`), a native sidecar (`proxy`, an init container
    /// with `restartPolicy: Always`), the main container (`app`) and an ordinary second container
    /// (`metrics`).
    static let sidecarTemplate = """
        {"apiVersion": "batch/v1", "kind": "Job", "metadata": {},
         "spec": {"template": {"spec": {"restartPolicy": "Never",
           "initContainers": [{"name": "migrate", "image": "migrate:1"},
                              {"name": "proxy", "image": "proxy:1", "restartPolicy": "Always"}],
           "containers": [{"name": "app", "image": "app:1"}, {"name": "metrics", "image": "metrics:1"}]}}}}
        """

    /// The output of every container, each line with its `K8S_CONTAINER`; none lost to a log
    /// request that names no container (400 on a pod of several).
    @Test func everyContainersOutputReachesTheJournalWithItsContainer() async throws {
        let world = try World("containers")
        let job = world.job("sidecars", script: ["lines": "3"], template: Self.sidecarTemplate)
        let (outcome, report) = try await world.runToEnd(world.request(job, run: 1401))
        #expect(outcome == .succeeded)
        let run = try #require(report)
        #expect(run.linesWritten == 6)
        var entries: [[String: String]] = []
        let complete = try await poll(within: .seconds(10)) {
            entries = try await journalEntries(["CRON_JOB=\(job.jobName)", "CRON_RUN_ID=1401"])
            return entries.count >= 6
        }
        #expect(complete)
        let byContainer = Dictionary(grouping: entries, by: { $0["K8S_CONTAINER"] ?? "" }).mapValues { $0.map { $0["MESSAGE"] ?? "" } }
        #expect(byContainer == [
            "migrate": ["migrate of \(run.jobName)"], "proxy": ["proxy of \(run.jobName)"],
            "metrics": ["metrics of \(run.jobName)"], "app": (1...3).map { "line \($0) of \(run.jobName)" },
        ])
        #expect(try await world.pods().isEmpty, "the pod is deleted once every container's output is read")
    }

    struct MainCase: Sendable, CustomTestStringConvertible {
        var label: String
        var script: [String: String]
        var exitCode: Int32
        var reason: String
        var testDescription: String { label }
    }

    /// `CRON_CONTAINER=app` names the second container: its exit status is the run's, and another
    /// container's failure is named as that container's, not taken for the job's.
    @Test(arguments: [
        MainCase(label: "the main container fails", script: ["exit-codes": "app=4"], exitCode: 4, reason: "exited with status 4"),
        MainCase(label: "only the other container fails", script: ["exit-code": "5"], exitCode: 5,
                 reason: "container shipper exited with status 5"),
    ])
    func theVerdictComesFromTheMainContainer(_ test: MainCase) async throws {
        let world = try World("maincontainer")
        let template = """
            {"apiVersion": "batch/v1", "kind": "Job", "metadata": {},
             "spec": {"template": {"spec": {"restartPolicy": "Never",
               "containers": [{"name": "shipper", "image": "shipper:1"}, {"name": "app", "image": "app:1"}]}}}}
            """
        let job = world.job("main", script: test.script, template: template, mainContainer: "app")
        let (outcome, report) = try await world.runToEnd(world.request(job, run: 1402))
        guard case .failed(let code, let reason) = outcome else {
            Issue.record("expected a failure, got \(String(describing: outcome))")
            return
        }
        #expect(code == test.exitCode)
        #expect(reason.hasPrefix(test.reason), "\(reason)")
        #expect(report?.verdict == .failed(.exitStatus, exitCode: test.exitCode, reason: reason))
    }

    /// The main container ended while an ordinary container beside it runs on (a sidecar written
    /// before native sidecars): the pod would never finish, nor its Job, billed all along. The run
    /// ends with the main container's verdict, and its Job is deleted, which stops the pod.
    @Test func aRunEndsWithItsMainContainerThoughASidecarRunsOn() async throws {
        let world = try World("heldpod")
        let template = """
            {"apiVersion": "batch/v1", "kind": "Job", "metadata": {},
             "spec": {"template": {"spec": {"restartPolicy": "Never",
               "containers": [{"name": "app", "image": "app:1"}, {"name": "legacy-proxy", "image": "proxy:1"}]}}}}
            """
        let job = world.job("held", script: ["outlives": "legacy-proxy", "exit-code": "6"], template: template)
        let (outcome, report) = try await world.runToEnd(world.request(job, run: 1407))
        #expect(outcome == .failed(exitCode: 6, reason: "exited with status 6"))
        #expect(report?.linesWritten == 4, "the main container's three lines and the sidecar's one")
        let gone = try await poll(within: .seconds(10)) {
            let (jobs, pods) = (try await world.jobs(), try await world.pods())
            return jobs.isEmpty && pods.isEmpty
        }
        #expect(gone, "the Job and its pod are deleted")
    }

    struct StuckCase: Sendable, CustomTestStringConvertible {
        var label: String
        var world: [String: JSONValue]
        var image = "app:1"
        var serviceAccount: String?
        var cause: StartBlocker.Cause
        var words: String
        var testDescription: String { label }
    }

    /// Each cause that keeps a run from starting fails it within its bound (2 s here for every cause;
    /// README states the defaults), named in the run's reason in the cluster's own words; the Job
    /// is deleted (the Job controller stops retrying, the kubelet stops pulling).
    @Test(arguments: [
        StuckCase(label: "a ResourceQuota", world: ["podQuota": .integer(0)], cause: .quotaExceeded, words: "exceeded quota: compute"),
        StuckCase(label: "Pod Security admission", world: ["podSecurity": .string("restricted")], cause: .admissionRefused,
                  words: #"violates PodSecurity "restricted:latest""#),
        StuckCase(label: "a missing service account", world: [:], serviceAccount: "reporter", cause: .serviceAccountMissing,
                  words: #"serviceaccount "reporter" not found"#),
        StuckCase(label: "an image that cannot be pulled", world: ["unpullableImages": .array([.string("app:missing")])],
                  image: "app:missing", cause: .imagePull, words: #"Failed to pull image "app:missing""#),
        StuckCase(label: "no Fargate profile and no node", world: ["fargateProfiles": .array([])], cause: .unschedulable,
                  words: "0/0 nodes are available"),
    ])
    func aRunThatCannotStartFailsEarlySayingWhy(_ test: StuckCase) async throws {
        let token = Cluster.unique("stuck")
        let world = try World("stuck", executorClient: try Cluster.client(token: token), startBounds: .uniform(.seconds(2)))
        try await world.configure(test.world)
        let job = world.job("stuck", image: test.image, serviceAccount: test.serviceAccount)
        let began = Date()
        let (outcome, report) = try await world.runToEnd(world.request(job, run: 1403))
        let took = Date().timeIntervalSince(began)
        guard case .failed(nil, let reason) = outcome else {
            Issue.record("expected a failure without an exit code, got \(String(describing: outcome))")
            return
        }
        #expect(reason.hasPrefix("cannot start: \(test.cause.summary)"), "\(reason)")
        #expect(reason.contains(test.words), "\(reason)")
        #expect(report?.startBlocker == test.cause)
        // The bound, the 2 s a Job may go without a pod, and one read of Events 5 s apart at most.
        #expect(took < 15, "failed after \(took) s")
        let gone = try await poll(within: .seconds(10)) { try await world.jobs().isEmpty }
        #expect(gone, "the Job of a run that cannot start is deleted")
        // Events are listed only for the stuck run, at most twice (the Job's, the pod's) every 5 s.
        let served = try await Cluster.requests(of: token)
        #expect((1...4).contains(served["list events"]), "\(served)")
        // No container ever started: nothing to read, so no log request (not even once the pod is
        // deleted and the kubelet reports its waiting container ended, ContainerStatusUnknown).
        #expect(served["log pods"] == 0, "\(served)")
    }

    /// Stuck runs of one namespace share their Events reads (``JobEvents``): six Jobs that can make
    /// no pod (a pod quota of 0) each fail for it, with its words, while the Job Events are listed
    /// at most half as many times as there are runs. Before, each run listed its own Job's (six
    /// lists at least; a 500-job herd sent 200–400 while the emulator's Job controller caught up).
    @Test func stuckRunsOfANamespaceShareTheirEventReads() async throws {
        let token = Cluster.unique("stuckherd")
        let world = try World("stuckherd", executorClient: try Cluster.client(token: token), startBounds: .uniform(.seconds(2)))
        try await world.configure(["podQuota": .integer(0)])
        let runs = 6
        var started: [(RunHandle, RunID)] = []
        for index in 0..<runs {
            let request = world.request(world.job("stuck\(index)"), run: Int64(1500 + index))
            started.append((try await world.executor.start(request, output: NoOutput()), request.run))
        }
        for (handle, run) in started {
            let outcome = await world.executor.outcome(of: handle)
            guard case .failed(nil, let reason)? = outcome else {
                Issue.record("run \(run): expected a failure without an exit code, got \(String(describing: outcome))")
                continue
            }
            #expect(reason.hasPrefix("cannot start: \(StartBlocker.Cause.quotaExceeded.summary)"), "\(reason)")
            #expect(reason.contains("exceeded quota"), "\(reason)")
        }
        let served = try await Cluster.requests(of: token)
        #expect((1...runs / 2).contains(served["list events"]), "\(served)")
    }

    /// A clock may wake a sleeper early (``SystemWallClock`` sleeps at most a minute at a time, to
    /// notice a clock step): a run's timer then sleeps again, and what time alone decides still
    /// comes. Before, an early wake-up left the run's timer marked armed with nothing asleep: a
    /// blocker's bound (30 s and more), a pending timeout (minutes) or a resync (90 s) past a minute
    /// never came unless the cluster changed something. Here the clock sleeps 200 ms at most.
    @Test func aRunsTimerOutlastsAClockThatWakesEarly() async throws {
        let world = try World("early", startBounds: .uniform(.seconds(2)), clock: SystemWallClock(longestSleep: .milliseconds(200)))
        try await world.configure(["fargateProfiles": .array([])])
        let began = Date()
        let (outcome, report) = try await world.runToEnd(world.request(world.job("early"), run: 1404))
        guard case .failed(nil, let reason) = outcome else {
            Issue.record("expected the run to fail as one that cannot start, got \(String(describing: outcome))")
            return
        }
        #expect(reason.hasPrefix("cannot start: \(StartBlocker.Cause.unschedulable.summary)"), "\(reason)")
        #expect(report?.startBlocker == .unschedulable)
        #expect(Date().timeIntervalSince(began) < 15)
    }

    /// A pod no Fargate profile selects runs on an EC2 node when the cluster has one: the run
    /// succeeds, with a warning event and the placement in its report (for the ledger); one on
    /// Fargate reads as such.
    @Test func aPodOutsideFargateIsReported() async throws {
        // The executor's events go to the journal, as the daemon's do.
        let writer = EntryWriter(destination: .journal)
        let world = try World("placement", logger: Logger(label: "fargate-cron") { JournalLogHandler(label: $0, writer: writer) })
        try await world.configure(["fargateProfiles": .array([]), "ec2Nodes": .integer(1)])
        let job = world.job("ec2")
        let (outcome, report) = try await world.runToEnd(world.request(job, run: 1404))
        #expect(outcome == .succeeded)
        let run = try #require(report)
        guard case .notFargate(let node, let why) = run.placement else {
            Issue.record("expected notFargate, got \(run.placement)")
            return
        }
        #expect(node.hasPrefix("ip-10-0-"))
        #expect(why.contains("is not a Fargate node") && why.contains("no CapacityProvisioned annotation"))
        var warnings: [[String: String]] = []
        let warned = try await poll(within: .seconds(10)) {
            warnings = try await journalEntries(["CRON_JOB=\(job.jobName)", "MESSAGE_ID=91021071f8a9481396b84f7e9fdebd87"])
            return !warnings.isEmpty
        }
        #expect(warned && warnings.count == 1)
        #expect(warnings.first?["K8S_POD"] == run.pods.last?.pod)

        let fargate = try World("placement")
        let onFargate = fargate.job("fargate")
        let (_, fargateReport) = try await fargate.runToEnd(fargate.request(onFargate, run: 1405))
        guard case .fargate(_, let capacity)? = fargateReport?.placement else {
            Issue.record("expected fargate, got \(String(describing: fargateReport?.placement))")
            return
        }
        #expect(capacity == "0.25vCPU 0.5GB")
    }

    /// A job silent for longer than the transport's idle timeout (120 s in the daemon, 2 s here): its
    /// stream is dropped by the idle timeout and resumed from the last line's second, and the
    /// journal gets every line once.
    @Test func aSilentJobLosesNoLineAndRepeatsNone() async throws {
        let transport = CurlTransport(configuration: .init(requestTimeout: .seconds(20), streamIdleTimeout: .seconds(2)))
        guard let server = PeerEnvironment.kubernetesHTTP else { throw KubernetesError.configuration("no emulator") }
        let client = KubeClient(server: server, transport: transport, credentials: NoCredentials(identity: "test user"))
        let world = try World("silent", executorClient: client)
        // 3 lines 3.3 s apart: each gap outlasts the idle timeout.
        let job = world.job("silent", script: ["lines": "3", "run-seconds": "10"])
        let (outcome, report) = try await world.runToEnd(world.request(job, run: 1406))
        #expect(outcome == .succeeded)
        let run = try #require(report)
        #expect(run.linesWritten == 3)
        var lines: [[String: String]] = []
        _ = try await poll(within: .seconds(10)) {
            lines = try await journalEntries(["CRON_JOB=\(job.jobName)", "CRON_RUN_ID=1406"])
            return lines.count >= 3
        }
        #expect(lines.map { $0["MESSAGE"] ?? "" } == (1...3).map { "line \($0) of \(run.jobName)" })
    }
}
