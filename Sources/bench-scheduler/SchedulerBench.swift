import ArgumentParser
import CronExpression
import Daemon
import Foundation
import Ledger
import Logging
import RunModel
import Scheduler
import Synchronization

/// `bench-scheduler`, a benchmark driver (not shipped): the exact half of `scripts/bench/daemon`'s trigger delay.
/// Runs the daemon's scheduler (real clock, the SQLite ledger with `synchronous=FULL`, the local
/// executor) over per-second jobs, with the executor wrapped so that the instant each start call is
/// made is read; prints one JSON object of the delays from each slot's instant to its start call.
@main
struct SchedulerBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-scheduler", abstract: "Benchmark slot-to-start-call delays (for scripts/bench/daemon).")

    @Option(help: "Per-second jobs, all due at each second.")
    var jobs = 10

    @Option(help: "Start calls to time.")
    var firings = 1000

    @Option(help: "The state directory for the ledger (created).")
    var stateDir: String

    @Option(help: "The command each job runs.")
    var command = "true"

    func run() async throws {
        let clock = SystemWallClock()
        let ledger = try RunLedger.open(stateDirectory: stateDir)
        let executor = TimedExecutor(LocalExecutor(baseEnvironment: Daemon.cronEnvironment(ProcessInfo.processInfo.environment)), clock: clock)
        let every = try CronExpression("* * * * * *")
        let scheduled = (0..<jobs).map { index in
            ScheduledJob(
                name: String(format: "fire-%02d", index), schedule: every, zone: TimeZone(identifier: "UTC")!,
                concurrency: .allow, executor: .local, command: command)
        }
        let scheduler = Scheduler(
            jobs: scheduled, clock: clock, store: LedgerRunStore(ledger: ledger, clock: clock),
            executors: [.local: executor], output: DiscardedOutput(),
            logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() }))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await scheduler.run() }
            // The calls of the first second are left out if the daemon started within it (a partial herd).
            while executor.callCount < firings + jobs {
                try await Task.sleep(for: .milliseconds(100))
            }
            scheduler.stop()
            try await group.waitForAll()
        }
        let delays = executor.calls.dropFirst(jobs).prefix(firings).map { ($0.calledAt.timeIntervalSince($0.scheduledAt)) * 1000 }
        let sorted = delays.sorted()
        func percentile(_ p: Double) -> Double { sorted[min(sorted.count - 1, Int((p / 100 * Double(sorted.count - 1)).rounded()))] }
        let result: [String: Double] = [
            "count": Double(sorted.count), "p50_ms": percentile(50), "p99_ms": percentile(99), "max_ms": sorted.last ?? 0,
        ]
        let json = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
        print(String(decoding: json, as: UTF8.self))
    }
}

/// An executor that reads the clock as each start call is made, then hands the call on.
private final class TimedExecutor: Executor {
    struct Call: Sendable {
        var scheduledAt: Date
        var calledAt: Date
    }
    private let inner: any Executor
    private let clock: any WallClock
    private let recorded = Mutex<[Call]>([])

    init(_ inner: any Executor, clock: any WallClock) {
        self.inner = inner
        self.clock = clock
    }

    var calls: [Call] { recorded.withLock { $0 } }
    var callCount: Int { recorded.withLock { $0.count } }
    var runsSurviveShutdown: Bool { inner.runsSurviveShutdown }

    func start(_ request: RunRequest, output: any OutputSink) async throws(ExecutorError) -> RunHandle {
        let call = Call(scheduledAt: request.slot.scheduledAt, calledAt: clock.now())
        recorded.withLock { $0.append(call) }
        return try await inner.start(request, output: output)
    }

    func outcome(of handle: RunHandle) async -> RunOutcome? { await inner.outcome(of: handle) }
    func cancel(_ handle: RunHandle, reason: String) async { await inner.cancel(handle, reason: reason) }
    func cleanUp(_ handle: RunHandle) async { await inner.cleanUp(handle) }
    func reattach(_ run: RunRecord, job: ScheduledJob?, output: (any OutputSink)?) async -> Reattachment {
        await inner.reattach(run, job: job, output: output)
    }
}

/// Output nobody reads (the benchmark's jobs print nothing).
private struct DiscardedOutput: OutputSink {
    func write(_ line: OutputLine) {}
}
