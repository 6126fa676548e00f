import Foundation
public import RunModel
import Synchronization

/// The `local` executor: each run is `/bin/sh -c COMMAND`, a child process of the daemon in its own
/// process group, with the job's environment, a timeout (SIGTERM, then SIGKILL), and its output
/// sent to the sink line by line. A job with `CRON_RETRIES` runs its command again after a failed
/// attempt, within the same run (see `LocalRetries`).
///
/// Its runs are children, so they do not outlive a graceful stop: the scheduler cancels them. After
/// a crash, a run whose process is still there (same pid *and* start time) is adopted; its exit
/// status can no longer be known.
public final class LocalExecutor: Executor {
    public let runsSurviveShutdown = false
    private let baseEnvironment: [String: String]
    private let stopGrace: Duration
    private let firstRetryPause: Duration
    private let runs = Mutex<[String: LocalRun]>([:])
    /// Where children are spawned, one after another (spawns are serialized process-wide anyway).
    private let spawner = DispatchQueue(label: "fargate-cron.local-executor.spawn")

    /// - Parameters:
    ///   - baseEnvironment: what every command sees before its job's own variables (cron passes
    ///     `HOME`, `LOGNAME`, `PATH`, `SHELL`).
    ///   - stopGrace: how long after SIGTERM a run that has not ended gets SIGKILL.
    ///   - firstRetryPause: the pause before a failed attempt's first retry, doubling for each
    ///     further one, at most 6 minutes (Kubernetes' Job back-off: 10 s, 20 s, 40 s, …).
    public init(
        baseEnvironment: [String: String], stopGrace: Duration = .seconds(5), firstRetryPause: Duration = .seconds(10)
    ) {
        self.baseEnvironment = baseEnvironment
        self.stopGrace = stopGrace
        self.firstRetryPause = firstRetryPause
    }

    public func start(_ request: RunRequest, output: any OutputSink) async throws(ExecutorError) -> RunHandle {
        var environment = baseEnvironment
        environment["CRON_JOB"] = request.slot.job
        environment["CRON_RUN_ID"] = request.run.description
        environment["CRON_SCHEDULED_AT"] = request.slot.scheduledAt.formatted(.iso8601)
        environment.merge(request.environment) { _, job in job }
        let command = LocalRetries.command(request.command, retries: request.retries, firstPause: firstRetryPause)
        let timeout = request.timeout, stopGrace = self.stopGrace, childEnvironment = environment
        let slot = request.slot, id = request.run
        // Spawning blocks (the child's exec, the process-wide spawn lock) for a millisecond or so:
        // it runs on a thread of its own, so a herd's start calls do not hold the cooperative pool's
        // threads while they wait for each other's spawns.
        let spawned = await withCheckedContinuation { (continuation: CheckedContinuation<Result<LocalRun, SpawnError>, Never>) in
            spawner.async {
                continuation.resume(
                    returning: Result { () throws(SpawnError) -> LocalRun in
                        let child = try spawnShell(command: command, environment: childEnvironment)
                        return try LocalRun.follow(
                            child: child.pid, stdout: child.stdout, stderr: child.stderr, timeout: timeout, stopGrace: stopGrace
                        ) { stream, bytes in
                            output.write(OutputLine(slot: slot, run: id, stream: stream, bytes: bytes))
                        }
                    })
            }
        }
        let run: LocalRun
        switch spawned {
        case .success(let started): run = started
        case .failure(let error): throw ExecutorError("cannot start /bin/sh: \(error)")
        }
        let handle = RunHandle(executor: .local, reference: run.identity.description)
        runs.withLock { $0[handle.reference] = run }
        return handle
    }

    public func outcome(of handle: RunHandle) async -> RunOutcome? {
        guard let run = runs.withLock({ $0[handle.reference] }) else {
            return .failed(exitCode: nil, reason: "the local executor does not know \(handle)")
        }
        return await run.outcome.wait()
    }

    public func cancel(_ handle: RunHandle, reason: String) async {
        runs.withLock { $0[handle.reference] }?.cancel(reason: reason)
    }

    public func cleanUp(_ handle: RunHandle) async {
        _ = runs.withLock { $0.removeValue(forKey: handle.reference) }
    }

    /// After a restart: a process that outlived the daemon is waited for again (by its pid and start
    /// time). Its output went to pipes the stopped daemon held, so `output` hears nothing more of it.
    public func reattach(_ run: RunRecord, job: ScheduledJob?, output: (any OutputSink)?) async -> Reattachment {
        guard let handle = run.handle else {
            return .lost(reason: "the daemon stopped between recording the run and starting its process")
        }
        guard let identity = ProcessIdentity(reference: handle.reference) else {
            return .lost(reason: "the run's reference \"\(handle.reference)\" is not a local process")
        }
        guard identity.isAlive else {
            return .lost(reason: "process \(identity.pid) ended while the daemon was down; its exit status is unknown")
        }
        let remaining = job?.timeout.map { timeout -> Duration in
            let elapsed = run.startedAt.map { Date().timeIntervalSince($0) } ?? 0
            return max(.zero, timeout - .seconds(elapsed))
        }
        do {
            let adopted = try LocalRun.adopt(identity, remaining: remaining, stopGrace: stopGrace)
            runs.withLock { $0[handle.reference] = adopted }
            return .running(handle)
        } catch {
            return .lost(reason: "cannot follow process \(identity.pid): \(error)")
        }
    }
}
