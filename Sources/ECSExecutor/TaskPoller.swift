import RunModel
import ECS
import Foundation
import Logging
import Scheduler
import Synchronization

/// The one loop that follows every ECS run of the daemon: each round it describes all followed
/// tasks with one `DescribeTasks` call per cluster (up to 100 tasks a call), reads the log streams
/// of running and stopped tasks within a budget of `GetLogEvents` calls, stops the tasks that must
/// stop, and finishes the runs whose tasks stopped and whose output is read.
///
/// Its pace respects ECS's and CloudWatch Logs' rate limits: the interval doubles (up to
/// ``ECSExecutor/Configuration/maximumPollInterval``) after a throttled call and halves back
/// after each round without one; the number of log reads a round is bounded by
/// ``ECSExecutor/Configuration/logReadsPerSecond``, the least recently read streams first. The cost
/// does not grow in calls with the number of runs beyond one DescribeTasks per 100 tasks.
final class TaskPoller: Sendable {
    let ecs: ECSClient
    let logs: CloudWatchLogsClient
    let clock: any WallClock
    let logger: Logger
    let configuration: ECSExecutor.Configuration
    let finished: @Sendable (FollowedRun, RunOutcome) async -> Void
    let runs = Mutex<[String: FollowedRun]>([:])
    let signal = WakeSignal()  // wakes the loop early: a cancel, a first run to describe
    /// The current interval between rounds (grows under throttling).
    let interval: Mutex<Duration>

    init(
        ecs: ECSClient, logs: CloudWatchLogsClient, clock: any WallClock, logger: Logger, configuration: ECSExecutor.Configuration,
        finished: @escaping @Sendable (FollowedRun, RunOutcome) async -> Void
    ) {
        self.ecs = ecs
        self.logs = logs
        self.clock = clock
        self.logger = logger
        self.configuration = configuration
        self.finished = finished
        interval = Mutex(configuration.pollInterval)
    }

    /// Follows a run from the next round on.
    func follow(_ run: FollowedRun) {
        runs.withLock { $0[run.taskARN] = run }
        signal.signal()
    }

    /// The run of a task, while it is followed or until it is cleaned up.
    func run(of taskARN: String) -> FollowedRun? { runs.withLock { $0[taskARN] } }

    /// Forgets a run (its outcome is recorded).
    func forget(_ taskARN: String) { runs.withLock { $0[taskARN] = nil } }

    /// Asks for a round now (a cancel).
    func wake() { signal.signal() }

    /// Runs rounds until the task is cancelled; idle (no calls at all) while no run is followed.
    func run() async {
        while !Task.isCancelled {
            let current = runs.withLock { $0.values.filter { !$0.state.withLock(\.isFinished) } }
            if current.isEmpty {
                await signal.wait()
                continue
            }
            let began = clock.now()
            let throttled = await round(current)
            let next = interval.withLock { interval in
                interval = throttled ? min(interval * 2, configuration.maximumPollInterval)
                    : max(configuration.pollInterval, interval / 2)
                return interval
            }
            if throttled { logger.notice("ECS or CloudWatch Logs throttled the poller: describing every \(TaskRun.format(next))") }
            await sleep(until: began.addingTimeInterval(next.timeInterval))
        }
    }

    /// One round; returns whether AWS throttled any of its calls.
    func round(_ current: [FollowedRun]) async -> Bool {
        var throttled = await describe(current)
        let now = clock.now()
        var stops: [(FollowedRun, String)] = []
        var reads: [FollowedRun] = []
        for run in current {
            for action in run.state.withLock({ $0.next(now: now) }) {
                switch action {
                case .stop(let reason): stops.append((run, reason))
                case .readLogs: reads.append(run)
                case .finish(let outcome): await finished(run, outcome)
                }
            }
        }
        await stop(stops)
        // The least recently read first, within the round's budget.
        let budget = max(1, Int((Double(configuration.logReadsPerSecond) * interval.withLock { $0 }.timeInterval).rounded(.down)))
        let chosen = reads.sorted { $0.logs.withLock(\.lastRead) < $1.logs.withLock(\.lastRead) }.prefix(budget)
        throttled = await read(Array(chosen)) || throttled
        // A read may have drained a stopped task's stream: finish it in this round.
        let after = clock.now()
        for run in chosen {
            for case .finish(let outcome) in run.state.withLock({ $0.next(now: after) }) { await finished(run, outcome) }
        }
        return throttled
    }

    /// Describes every run's task, one call per cluster and 100 tasks; returns whether one was throttled.
    private func describe(_ current: [FollowedRun]) async -> Bool {
        let byCluster = Dictionary(grouping: current, by: \.cluster)
        var throttled = false
        for (cluster, runs) in byCluster.sorted(by: { $0.key < $1.key }) {
            for start in stride(from: 0, to: runs.count, by: ECSClient.describeLimit) {
                let chunk = Array(runs[start..<min(start + ECSClient.describeLimit, runs.count)])
                let deadline = clock.now().addingTimeInterval(interval.withLock { $0 }.timeInterval)
                do {
                    let (tasks, failures) = try await ecs.describeTasks(cluster: cluster, tasks: chunk.map(\.taskARN), deadline: deadline)
                    let byARN = Dictionary(tasks.map { ($0.taskArn, $0) }, uniquingKeysWith: { first, _ in first })
                    let missing = Set(failures.filter { $0.reason == "MISSING" }.compactMap(\.arn))
                    let now = clock.now()
                    for run in chunk {
                        if let task = byARN[run.taskARN] {
                            let wasRunning = run.state.withLock { $0.task?.lastStatus == "RUNNING" }
                            run.state.withLock { $0.observe(task, now: now) }
                            if task.lastStatus == "RUNNING", !wasRunning { Failpoint.reach("ecs-running") }
                        } else if missing.contains(run.taskARN) {
                            run.state.withLock { $0.observe(nil, now: now) }
                        }
                    }
                } catch {
                    throttled = throttled || error.isThrottling
                    logger.warning("describing \(chunk.count) task(s) in cluster \(cluster) failed; trying again next round: \(error)")
                }
            }
        }
        return throttled
    }

    private func stop(_ stops: [(FollowedRun, String)]) async {
        guard !stops.isEmpty else { return }
        let deadline = clock.now().addingTimeInterval(interval.withLock { $0 }.timeInterval)
        await withTaskGroup(of: Void.self) { group in
            for (run, reason) in stops {
                group.addTask { [ecs, logger] in
                    do throws(ECSError) {
                        try await ecs.stopTask(cluster: run.cluster, task: run.taskARN, reason: reason, deadline: deadline)
                        run.state.withLock { $0.stopWasDelivered() }
                        logger.info("stopped task \(run.taskARN) of run \(run.request.run) of \(run.request.slot.job): \(reason)")
                    } catch let error where error.code == "InvalidParameterException" {
                        // ECS no longer knows the task: nothing is left to stop.
                        run.state.withLock { $0.stopWasDelivered() }
                    } catch {
                        logger.warning("stopping task \(run.taskARN) failed; trying again next round: \(error)")
                    }
                }
            }
        }
    }

    /// Reads each run's stream to its current end; returns whether a read was throttled.
    private func read(_ chosen: [FollowedRun]) async -> Bool {
        guard !chosen.isEmpty else { return false }
        return await withTaskGroup(of: Bool.self) { group in
            for run in chosen { group.addTask { await self.readLogs(of: run) } }
            var throttled = false
            for await result in group { throttled = throttled || result }
            return throttled
        }
    }

    /// Reads pages of one run's stream until its end (or ``ECSExecutor/Configuration/pagesPerRead``);
    /// returns whether it was throttled.
    private func readLogs(of run: FollowedRun) async -> Bool {
        let began = clock.now()
        run.logs.withLock { $0.lastRead = began }
        guard let stream = run.stream else {
            run.state.withLock { $0.logsRead(foundEvents: false, startedAt: began) }
            return false
        }
        var found = false
        let deadline = began.addingTimeInterval(interval.withLock { $0 }.timeInterval)
        for _ in 0..<configuration.pagesPerRead {
            let token = run.logs.withLock(\.token)
            let page: LogEventsPage?
            do {
                page = try await logs.events(group: stream.group, stream: stream.stream, after: token, deadline: deadline)
            } catch {
                logger.warning("reading \(stream) of task \(run.taskARN) failed; trying again next round: \(error)")
                return error.isThrottling
            }
            // No stream yet: the container has not printed anything.
            guard let page else { break }
            for event in page.events { run.write(event) }
            run.logs.withLock { cursor in cursor.token = page.nextForwardToken ?? cursor.token }
            if page.events.isEmpty || page.nextForwardToken == token { break }
            found = true
        }
        run.state.withLock { $0.logsRead(foundEvents: found, startedAt: began) }
        return false
    }

    /// Sleeps until `deadline`, or less when woken.
    private func sleep(until deadline: Date) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [clock] in
                // Cancelled when woken: not an error.
                do { try await clock.sleep(until: deadline) } catch { return }
            }
            group.addTask { [signal] in await signal.wait() }
            await group.next()
            group.cancelAll()
        }
    }
}
