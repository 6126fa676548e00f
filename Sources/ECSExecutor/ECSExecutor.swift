public import RunModel
public import ECS
public import FargateExecutor
import Foundation
public import Logging
public import Scheduler
public import ServiceLifecycle
public import Systemd
import Synchronization

/// The `ecs` executor: one Fargate task per slot through ECS `RunTask`, with the job's own subnets and
/// security groups, its output brought home from CloudWatch Logs to the journal, its exit code,
/// `stoppedReason` and cost recorded.
///
/// The run's intent is in the run store before ``start(_:output:)`` is called (the scheduler's core
/// does that); RunTask's `clientToken` comes from the job and the slot, so a start retried after a
/// lost answer returns the task the first attempt made, and tags on the task (job, slot, run,
/// `managed-by=fargate-cron`) and its `startedBy` let a restarted daemon find it again.
///
/// Every run is followed by one shared poller (``run()``): one `DescribeTasks` call per cluster and
/// round for all tasks, not a loop per run. The daemon runs the executor as a `Service` (before the
/// scheduler, so that it stops after it); without it running, no outcome arrives.
public final class ECSExecutor: Executor, Service {
    /// Timing and budgets of the poller and of starts.
    public struct Configuration: Sendable {
        /// The time between polling rounds when AWS does not throttle (somewhat arbitrarily 2 s: ECS's
        /// DescribeTasks allows 20 calls a second sustained per account, shared with everything else).
        public var pollInterval: Duration
        /// The longest time between rounds while AWS throttles.
        public var maximumPollInterval: Duration
        /// At most this many GetLogEvents calls a second (CloudWatch Logs allows 10 per account and
        /// region; half of that leaves room for the users' own tools).
        public var logReadsPerSecond: Int
        /// How many pages one read of a stream may take in a round.
        public var pagesPerRead: Int
        /// How long a stopped task's stream is still read for batches the awslogs driver sends late.
        public var logSettle: Duration
        /// How long ECS may not know a followed task before its run is lost.
        public var missingGrace: Duration
        /// How long a start retries transient failures when the request has no start deadline.
        public var startRetryLimit: Duration

        /// Creates a configuration; the defaults suit production.
        public init(
            pollInterval: Duration = .seconds(2), maximumPollInterval: Duration = .seconds(30), logReadsPerSecond: Int = 5,
            pagesPerRead: Int = 5, logSettle: Duration = .seconds(10), missingGrace: Duration = .seconds(60),
            startRetryLimit: Duration = .seconds(60)
        ) {
            self.pollInterval = pollInterval
            self.maximumPollInterval = maximumPollInterval
            self.logReadsPerSecond = logReadsPerSecond
            self.pagesPerRead = pagesPerRead
            self.logSettle = logSettle
            self.missingGrace = missingGrace
            self.startRetryLimit = startRetryLimit
        }
    }

    public var runsSurviveShutdown: Bool { true }

    let ecs: ECSClient
    let logsRegion: String
    let settingsOf: @Sendable (String) -> ECSJobSettings?
    let journal: EntryWriter?
    let clock: any WallClock
    let logger: Logger
    let configuration: Configuration
    let definitions: TaskDefinitionRegistry
    let poller: TaskPoller

    /// Creates the executor.
    /// - Parameters:
    ///   - ecs: the ECS API.
    ///   - logs: CloudWatch Logs, in the region the jobs' log groups are in.
    ///   - settings: each job's ECS settings by job name (`nil`: the job is not an ecs job).
    ///   - journal: where the tasks' output goes, one entry a line with `CRON_JOB`, `CRON_RUN_ID`,
    ///     `ECS_TASK_ARN`, `ECS_CONTAINER`; `nil` sends it to the `output` given to `start` instead.
    ///   - clock: the wall clock (timeouts, the poller's pace).
    ///   - rates: Fargate's prices, to estimate each run's cost.
    ///   - onReport: called once per followed run, when it ended, with its task, exit code and cost.
    public init(
        ecs: ECSClient, logs: CloudWatchLogsClient, settings: @escaping @Sendable (String) -> ECSJobSettings?,
        journal: EntryWriter?, clock: any WallClock, logger: Logger, configuration: Configuration = Configuration(),
        rates: FargateRates? = nil, onReport: @escaping @Sendable (ECSRunReport) async -> Void = { _ in }
    ) {
        self.ecs = ecs
        self.logsRegion = logs.api.service.region
        self.settingsOf = settings
        self.journal = journal
        self.clock = clock
        self.logger = logger
        self.configuration = configuration
        definitions = TaskDefinitionRegistry(ecs: ecs, logger: logger, now: { [clock] in clock.now() })
        poller = TaskPoller(ecs: ecs, logs: logs, clock: clock, logger: logger, configuration: configuration) { run, outcome in
            let (task, stop) = run.state.withLock { ($0.task, $0.stop) }
            // The report first, so that the ledger has the run's cost before its end is recorded.
            await onReport(ECSRunReport(
                slot: run.request.slot, run: run.request.run, cluster: run.cluster, taskARN: run.taskARN, container: run.container,
                task: task, outcome: outcome, cost: task.flatMap { ECSRunReport.cost(of: $0, rates: rates) },
                linesWritten: run.logs.withLock(\.lines),
                failureCause: TaskRun.failureCause(of: task, container: run.container, stop: stop)))
            run.outcome.set(outcome)
        }
    }

    /// Follows every run until the task is cancelled (the daemon's graceful shutdown); the tasks go
    /// on in ECS and are adopted by the next start.
    public func run() async throws {
        // On a graceful shutdown the poller is cancelled: the tasks go on in ECS.
        await cancelWhenGracefulShutdown { [poller] in await poller.run() }
    }

    public func outcome(of handle: RunHandle) async -> RunOutcome? {
        guard let run = poller.run(of: handle.reference) else { return nil }
        return await run.outcome.wait()
    }

    /// Stops the run's task (StopTask in the poller's next round, which comes at once).
    public func cancel(_ handle: RunHandle, reason: String) async {
        guard let run = poller.run(of: handle.reference) else { return }
        run.state.withLock { $0.cancel(reason: reason) }
        poller.wake()
    }

    /// ECS removes stopped tasks itself; the run is only forgotten here.
    public func cleanUp(_ handle: RunHandle) async {
        poller.forget(handle.reference)
    }

    /// Starts following a task.
    /// - Parameter alreadyWritten: lines at the head of the task's stream that the journal has (a
    ///   re-attached run's).
    func follow(_ taskARN: String, in cluster: String, task: ECSTask?, origin: Date, request: RunRequest, settings: ECSJobSettings,
                definition: ResolvedTaskDefinition, output: (any OutputSink)?, alreadyWritten: Int = 0) -> RunHandle {
        var definition = definition
        if let region = definition.logConfiguration?.options?["awslogs-region"], region != logsRegion {
            logger.warning("the output of task \(taskARN) is in CloudWatch Logs in \(region), but the daemon reads \(logsRegion): it is not brought home")
            definition.logConfiguration = nil
        }
        let state = TaskRun(
            origin: origin, timeout: request.timeout, pendingTimeout: settings.pendingTimeout, container: definition.container,
            hasLogs: definition.logConfiguration?.awslogsStream(container: definition.container, taskID: "") != nil,
            logSettle: configuration.logSettle, missingGrace: configuration.missingGrace, task: task)
        let run = FollowedRun(
            request: request, cluster: cluster, taskARN: taskARN, definition: definition, state: state, journal: journal,
            output: output)
        run.logs.withLock { $0.alreadyWritten = alreadyWritten }
        poller.follow(run)
        return RunHandle(executor: .ecs, reference: taskARN)
    }

    /// A stoppable service's description.
    public var description: String { "ECSExecutor" }
}
