import Foundation
import Logging
import RunModel
import Scheduler
import SchedulerTesting
import Synchronization

/// A scheduler on a manual clock with a fake executor and an in-memory run store.
struct Harness {
    let clock: ManualClock
    let store: InMemoryRunStore
    let executor: FakeExecutor
    let output = RecordingOutputSink()
    let events = EventLog()
    let scheduler: Scheduler

    init(
        jobs: [ScheduledJob], at start: Date, store: InMemoryRunStore = InMemoryRunStore(),
        executor: FakeExecutor = FakeExecutor(), limits: SchedulerLimits = SchedulerLimits()
    ) {
        clock = ManualClock(start)
        self.store = store
        self.executor = executor
        let events = self.events
        scheduler = Scheduler(
            // The fake stands in for every executor: jobs keep the schedule files' default executor,
            // and runs seeded with any handle are re-attached through it.
            jobs: jobs, clock: clock, store: store,
            executors: Dictionary(uniqueKeysWithValues: ExecutorKind.allCases.map { ($0, executor) }), output: output,
            limits: limits, hooks: SchedulerHooks(event: { events.append($0) }),
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    /// Runs `body` while the scheduler's loop runs, then stops the loop and waits for it to end.
    func run(_ body: (Harness) async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await scheduler.run() }
            await scheduler.settle()
            do {
                try await body(self)
            } catch {
                scheduler.stop()
                throw error
            }
            scheduler.stop()
            try await group.waitForAll()
        }
    }

    /// Moves the clock (either way) and waits until the scheduler has handled that instant.
    func advance(to instant: Date) async {
        clock.advance(to: instant)
        await scheduler.settle()
    }

    /// Moves the clock by `interval` and waits until the scheduler has handled it.
    func advance(by interval: Duration) async {
        clock.advance(by: interval)
        await scheduler.settle()
    }

    /// Ends the run of `slot` and waits until the store has recorded its end.
    func finish(_ slot: Slot, _ outcome: RunOutcome = .succeeded) async {
        executor.finish(slot, outcome)
        await store.wait { $0.contains { $0.slot == slot && $0.state.isTerminal } }
    }

    /// The states the store holds for a job, oldest slot first.
    func states(of job: String) -> [RunStatus] { store.records(of: job).map(\.state) }
}

/// The events a scheduler reported, in order.
final class EventLog: Sendable {
    private let storage = Mutex<[SchedulerEvent]>([])
    func append(_ event: SchedulerEvent) { storage.withLock { $0.append(event) } }
    var all: [SchedulerEvent] { storage.withLock { $0 } }
}

/// Parses an ISO-8601 instant with offset (fixed inputs only).
func instant(_ text: String) -> Date {
    guard let date = try? Date(text, strategy: .iso8601) else { preconditionFailure("bad instant \(text) in a test") }
    return date
}

let utc = TimeZone(identifier: "UTC")!

/// A job on a fixed period, forbid by default.
func job(
    _ name: String, every period: Duration, concurrency: ConcurrencyPolicy = .forbid, catchUp: CatchUpPolicy = .latest,
    startingDeadline: Duration? = nil, isSuspended: Bool = false
) -> ScheduledJob {
    ScheduledJob(
        name: name, schedule: PeriodicSchedule(every: period), zone: utc, concurrency: concurrency,
        startingDeadline: startingDeadline, catchUp: catchUp, isSuspended: isSuspended, command: "true")
}

extension Date {
    func adding(_ interval: Duration) -> Date { addingTimeInterval(Double(interval.components.seconds)) }
}
