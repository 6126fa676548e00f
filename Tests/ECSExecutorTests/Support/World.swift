import RunModel
import ECS
import ECSExecutor
import ECSTestSupport
import FargateExecutor
import Foundation
import Logging
import Scheduler
import Synchronization
import Systemd
import TestSupport

/// Collects the executor's reports.
final class Reports: Sendable {
    private let state = Mutex<[ECSRunReport]>([])
    func add(_ report: ECSRunReport) { state.withLock { $0.append(report) } }
    func report(for run: RunID) -> ECSRunReport? { state.withLock { $0.first { $0.run == run } } }
}

/// The jobs' settings, as the command line would give them from the schedule files.
final class JobTable: Sendable {
    let state = Mutex<[String: ECSJobSettings]>([:])
    func settings(of job: String) -> ECSJobSettings? { state.withLock { $0[job] } }
}

/// Collects lines sent to the scheduler's output sink (when the executor has no journal).
final class CollectedOutput: OutputSink {
    let lines = Mutex<[String]>([])
    func write(_ line: OutputLine) { lines.withLock { $0.append(line.text) } }
}

/// One test's world: a cluster of its own behind its own ECS front, and an executor writing to the
/// real journal.
struct World {
    let front: MotoFront
    let cluster: String
    let logGroup: String
    let network: MotoFront.Network
    let jobs: JobTable
    let reports = Reports()
    let executor: ECSExecutor

    /// Test timing: rounds every 200 ms, stopped streams read for 0.5 s more.
    static let configuration = ECSExecutor.Configuration(
        pollInterval: .milliseconds(200), maximumPollInterval: .seconds(2), logReadsPerSecond: 20, logSettle: .milliseconds(500),
        missingGrace: .seconds(5), startRetryLimit: .seconds(20))

    init(_ stem: String, configuration: ECSExecutor.Configuration = World.configuration, journal: Bool = true,
         rates: FargateRates? = FargateRates(perVCPUHour: Decimal(string: "0.04048")!, perGBHour: Decimal(string: "0.004445")!)) async throws {
        front = try MotoFront()
        cluster = Moto.unique(stem)
        logGroup = "/fargate-cron/\(cluster)"
        network = try await front.setup(cluster: cluster, logGroup: logGroup)
        jobs = JobTable()
        executor = Self.executor(front: front, jobs: jobs, reports: reports, configuration: configuration, journal: journal, rates: rates)
    }

    /// Another executor on the same front and jobs: the daemon after a restart.
    init(restarting other: World) {
        front = other.front
        cluster = other.cluster
        logGroup = other.logGroup
        network = other.network
        jobs = other.jobs
        executor = Self.executor(front: front, jobs: jobs, reports: reports, configuration: World.configuration, journal: true, rates: nil)
    }

    private static func executor(
        front: MotoFront, jobs: JobTable, reports: Reports, configuration: ECSExecutor.Configuration, journal: Bool,
        rates: FargateRates?
    ) -> ECSExecutor {
        var logger = Logger(label: "ecs-executor-tests", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = .info
        return ECSExecutor(
            ecs: front.ecs(), logs: front.logs(), settings: { jobs.settings(of: $0) },
            journal: journal ? EntryWriter(destination: .journal) : nil, clock: SystemWallClock(), logger: logger,
            configuration: configuration, rates: rates, onReport: { reports.add($0) })
    }

    /// Settings for a new job in this world's cluster, its task definition registered from them.
    func job(
        _ stem: String, concurrency: ConcurrencyPolicy = .forbid, pendingTimeout: Duration = .seconds(60),
        capacityProviders: [CapacityProviderStrategyItem] = [], definition: TaskDefinitionSource? = nil,
        size: FargateTaskSize = FargateTaskSize(cpuUnits: 256, memoryMiB: 512)
    ) -> ECSJobSettings {
        let name = Moto.unique(stem)
        let job = ECSJobSettings(
            jobName: name, cluster: cluster, subnets: Array(network.subnets.prefix(2)), securityGroups: network.securityGroups,
            assignsPublicIP: false,
            taskDefinition: definition ?? .registered(RegisteredTaskDefinition(
                image: "public.ecr.aws/docker/library/busybox:latest", executionRoleARN: "arn:aws:iam::123456789012:role/ecs-exec",
                logGroup: logGroup, logRegion: Moto.region)),
            capacityProviders: capacityProviders, platformVersion: "1.4.0", size: size, concurrency: concurrency,
            pendingTimeout: pendingTimeout)
        jobs.state.withLock { $0[name] = job }
        return job
    }

    func request(
        _ job: ECSJobSettings, command: String, environment: [String: String] = [:], slot: String = "2026-11-29T06:30:00Z",
        run: Int64, timeout: Duration? = nil, startDeadline: Date? = nil
    ) -> RunRequest {
        RunRequest(
            slot: Slot(job: job.jobName, scheduledAt: instant(slot)), run: RunID(rawValue: run), trigger: .scheduled,
            command: command, environment: environment, timeout: timeout, startDeadline: startDeadline)
    }

    /// Runs `body` while the executor's poller runs.
    func following<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await executor.run() }
            defer { group.cancelAll() }
            return try await body()
        }
    }

    /// Starts a run and waits for its outcome and report (the poller must be running).
    func runToEnd(_ request: RunRequest, output: any OutputSink = CollectedOutput()) async throws -> (RunOutcome?, ECSRunReport?) {
        let handle = try await executor.start(request, output: output)
        let outcome = await executor.outcome(of: handle)
        return (outcome, reports.report(for: request.run))
    }

    /// The front's tasks of a job.
    func tasks(of job: ECSJobSettings) async throws -> [FrontTask] {
        try await front.tasks().filter { $0.tag(TaskOwnership.jobKey) == job.jobName }
    }
}

/// An RFC 3339 instant.
func instant(_ text: String) -> Date {
    guard let date = try? Date(text, strategy: .iso8601) else { preconditionFailure("not an instant: \(text)") }
    return date
}
