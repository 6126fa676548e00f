public import Foundation
public import RunModel

/// Runs jobs somewhere: starts a run, follows it to the end, cancels it, cleans up after it, and
/// finds it again after the daemon restarts.
public protocol Executor: Sendable {
    /// Whether a run is left running when the daemon stops (to be re-attached on the next start).
    /// A remote run survives; a child process of the daemon is stopped instead.
    var runsSurviveShutdown: Bool { get }
    /// Starts a run and returns once it is started, with what finds it again.
    /// Its output goes to `output` line by line until it ends.
    func start(_ request: RunRequest, output: any OutputSink) async throws(ExecutorError) -> RunHandle
    /// Waits for the run to end. Returns `nil` if the waiting task is cancelled first (the run
    /// goes on; it is re-attached on the next start).
    func outcome(of handle: RunHandle) async -> RunOutcome?
    /// Asks the run to stop; `outcome(of:)` then reports how it ended.
    func cancel(_ handle: RunHandle, reason: String) async
    /// Removes what the run left behind once its outcome is recorded.
    func cleanUp(_ handle: RunHandle) async
    /// After a restart: finds a run that was not terminal in the run store. `output` is where its
    /// further output goes (or, written to the journal by the executor, is told of), as for a start.
    func reattach(_ run: RunRecord, job: ScheduledJob?, output: (any OutputSink)?) async -> Reattachment
}

extension Executor {
    /// Re-attaches a run whose further output nobody but the journal needs.
    public func reattach(_ run: RunRecord, job: ScheduledJob?) async -> Reattachment {
        await reattach(run, job: job, output: nil)
    }
}

/// What a run needs to start.
public struct RunRequest: Hashable, Sendable {
    public var slot: Slot
    public var run: RunID
    public var trigger: Trigger
    public var command: String
    public var environment: [String: String]
    /// How long the run may take before the executor stops it.
    public var timeout: Duration?
    /// How many times the command is run again after a failed attempt, within this run
    /// (`CRON_RETRIES`). The `local` executor reads it here; a Kubernetes Job has it as its
    /// `backoffLimit`, from the executor's own job table.
    public var retries: Int
    /// The last instant at which the run may still be started (the slot's starting deadline): an
    /// executor retries transient failures to start it until then. `nil`: the executor's own bound.
    public var startDeadline: Date?

    public init(
        slot: Slot, run: RunID, trigger: Trigger, command: String, environment: [String: String],
        timeout: Duration?, retries: Int = 0, startDeadline: Date? = nil
    ) {
        self.slot = slot
        self.run = run
        self.trigger = trigger
        self.command = command
        self.environment = environment
        self.timeout = timeout
        self.retries = retries
        self.startDeadline = startDeadline
    }
}

/// What an executor found of a run after a restart.
public enum Reattachment: Hashable, Sendable {
    /// The run is still going: it is adopted and followed to its end.
    case running(RunHandle)
    /// The run ended while the daemon was away.
    case ended(RunOutcome)
    /// Nothing can be found of it; the reason says why.
    case lost(reason: String)
}

/// Why an executor could not start a run.
public struct ExecutorError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
